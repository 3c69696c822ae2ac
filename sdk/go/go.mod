module qingyunpay

go 1.19
