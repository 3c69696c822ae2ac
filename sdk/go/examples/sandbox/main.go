// Creates an order on the sandbox, pays it, queries it, refunds it, closes another one, and verifies
// the notifies it receives on a local listener. Checks the signing against sdk/testdata first.
//
// Environment: QY_BASE_URL, QY_MCH_NO, QY_APP_ID, QY_APP_SECRET, QY_PRODUCT (default sandbox_qr),
// QY_VECTORS (default ../testdata/signing-vectors.json from sdk/go). With QY_RSA_APP_ID,
// QY_RSA_PRIVATE_KEY_FILE and QY_PLATFORM_PUBLIC_KEY_FILE (an app that takes RSA-SHA256 requests and
// signs its notifies with RSA) it also pays an order signed with RSA and verifies its RSA notify.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"qingyunpay"
)

type vectors struct {
	MchNo                 string `json:"mchNo"`
	AppID                 string `json:"appId"`
	Secret                string `json:"secret"`
	MerchantPrivateKeyPem string `json:"merchantPrivateKeyPem"`
	MerchantPublicKeyPem  string `json:"merchantPublicKeyPem"`
	Requests              []struct {
		Method, PathWithQuery, Timestamp, Nonce, Body string
		SigningString, HmacSignature, RsaSignature    string
	} `json:"requests"`
	Notify struct {
		Now   int64 `json:"now"`
		Cases []struct {
			Name, SignType string
			Headers        map[string]string
			Body           string
			Ok             bool
			Reason         string
		} `json:"cases"`
	} `json:"notify"`
}

func must(ok bool, format string, args ...any) {
	if !ok {
		panic(fmt.Sprintf(format, args...))
	}
}

func noErr(err error, what string) {
	if err != nil {
		panic(what + ": " + err.Error())
	}
}

func checkVectors(path string) {
	raw, err := os.ReadFile(path)
	noErr(err, "signing vectors")
	var v vectors
	noErr(json.Unmarshal(raw, &v), "signing vectors")
	hmacKey := qingyunpay.HMACKey{Secret: v.Secret}
	rsaKey, err := qingyunpay.ParseRSAPrivateKeyPEM(v.MerchantPrivateKeyPem)
	noErr(err, "test private key")
	publicKey, err := qingyunpay.ParseRSAPublicKeyPEM(v.MerchantPublicKeyPem)
	noErr(err, "test public key")
	for _, r := range v.Requests {
		text := qingyunpay.RequestSigningString(r.Method, r.PathWithQuery, v.MchNo, v.AppID, r.Timestamp, r.Nonce, r.Body)
		must(text == r.SigningString, "signing string of %s %s", r.Method, r.PathWithQuery)
		sig, _ := hmacKey.Sign(text)
		must(sig == r.HmacSignature, "HMAC of %s", r.PathWithQuery)
		sig, err = rsaKey.Sign(text)
		noErr(err, "RSA")
		must(sig == r.RsaSignature, "RSA of %s", r.PathWithQuery)
	}
	for _, c := range v.Notify.Cases {
		headers := http.Header{}
		for name, value := range c.Headers {
			headers.Set(name, value)
		}
		var key qingyunpay.VerifyingKey = hmacKey
		if c.SignType == qingyunpay.RSASHA256 {
			key = publicKey
		}
		reason := qingyunpay.VerifyNotifyAt(headers, []byte(c.Body), key, 300, v.Notify.Now)
		must((reason == "") == c.Ok && reason == c.Reason, "notify vector '%s': %q", c.Name, reason)
	}
	first := v.Notify.Cases[0]
	headers := http.Header{}
	for name, value := range first.Headers {
		headers.Set(name, value)
	}
	late := qingyunpay.VerifyNotifyAt(headers, []byte(first.Body), hmacKey, 300, v.Notify.Now+301)
	must(late == qingyunpay.NotifyTimestampExpired, "a notify 301 s old is refused")
}

type notify struct {
	Event    string `json:"event"`
	OrderNo  string `json:"orderNo"`
	RefundNo string `json:"refundNo"`
}

func main() {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintln(os.Stderr, "go example: FAILED:", r)
			os.Exit(1)
		}
	}()
	vectorsPath := os.Getenv("QY_VECTORS")
	if vectorsPath == "" {
		vectorsPath = "../testdata/signing-vectors.json"
	}
	checkVectors(vectorsPath)
	fmt.Println("signing vectors: HMAC and RSA match")

	product := os.Getenv("QY_PRODUCT")
	if product == "" {
		product = "sandbox_qr"
	}
	key := qingyunpay.HMACKey{Secret: os.Getenv("QY_APP_SECRET")}
	rsaApp := os.Getenv("QY_RSA_APP_ID")
	notifyKeys := map[string]qingyunpay.VerifyingKey{os.Getenv("QY_APP_ID"): key}
	if rsaApp != "" {
		pem, err := os.ReadFile(os.Getenv("QY_PLATFORM_PUBLIC_KEY_FILE"))
		noErr(err, "platform public key")
		platformKey, err := qingyunpay.ParseRSAPublicKeyPEM(string(pem))
		noErr(err, "platform public key")
		notifyKeys[rsaApp] = platformKey
	}
	received := make(chan notify, 16)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	noErr(err, "listener")
	server := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		appKey, known := notifyKeys[r.Header.Get(qingyunpay.HeaderApp)]
		if !known {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("refused: unknown app"))
			return
		}
		if reason := qingyunpay.VerifyNotify(r.Header, raw, appKey); reason != "" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("refused: " + reason))
			return
		}
		var n notify
		if json.Unmarshal(raw, &n) == nil {
			received <- n
		}
		_, _ = w.Write([]byte("success"))
	})}
	go func() { _ = server.Serve(listener) }()
	defer server.Close()
	notifyURL := "http://" + listener.Addr().String() + "/notify"
	awaitNotify := func(event, number string) {
		deadline := time.After(20 * time.Second)
		for {
			select {
			case n := <-received:
				if n.Event == event && (n.OrderNo == number && event == "order.paid" || n.RefundNo == number) {
					return
				}
			case <-deadline:
				panic("no verified " + event + " notify for " + number)
			}
		}
	}

	client := qingyunpay.NewClient(os.Getenv("QY_BASE_URL"), os.Getenv("QY_MCH_NO"), os.Getenv("QY_APP_ID"), key)
	run := fmt.Sprintf("GO%d", time.Now().UnixMilli())
	order, err := client.CreateOrder(qingyunpay.CreateOrderRequest{
		MchOrderNo: run + "-1", ProductCode: product, Amount: 1234, Subject: "Go SDK 示例", NotifyURL: notifyURL,
	})
	noErr(err, "create order")
	fmt.Printf("created %s (%s, %d fen)\n", order.OrderNo, order.State, order.Amount)
	must(order.PayData != nil, "a sandbox order has a pay URL")

	// The sandbox's pay page: what the payer's "pay" button posts.
	paid, err := http.Post(order.PayData.Value, "application/x-www-form-urlencoded", strings.NewReader("result=success"))
	noErr(err, "pay on the sandbox")
	paid.Body.Close()
	must(paid.StatusCode == 200, "the sandbox took the payment: %d", paid.StatusCode)

	deadline := time.Now().Add(15 * time.Second)
	for {
		current, err := client.GetOrder(order.OrderNo)
		noErr(err, "get order")
		if current.State == "paid" {
			fmt.Printf("paid %s at %s\n", current.OrderNo, *current.PaidAt)
			break
		}
		must(time.Now().Before(deadline), "order still %s", current.State)
		time.Sleep(200 * time.Millisecond)
	}
	byMch, err := client.GetOrderByMchOrderNo(order.MchOrderNo)
	noErr(err, "get order by merchant number")
	must(byMch.OrderNo == order.OrderNo, "found by the merchant order number")
	awaitNotify("order.paid", order.OrderNo)
	fmt.Printf("notify order.paid verified for %s\n", order.OrderNo)

	refund, err := client.CreateRefund(qingyunpay.CreateRefundRequest{
		OrderNo: order.OrderNo, MchRefundNo: run + "-R1", Amount: 500, Reason: "示例退款", NotifyURL: notifyURL,
	})
	noErr(err, "create refund")
	deadline = time.Now().Add(15 * time.Second)
	for refund.State == "pending" {
		must(time.Now().Before(deadline), "refund still pending")
		time.Sleep(200 * time.Millisecond)
		refund, err = client.GetRefund(refund.RefundNo)
		noErr(err, "get refund")
	}
	must(refund.State == "succeeded", "refund %s", refund.State)
	fmt.Printf("refunded %d fen (%s, %s)\n", refund.Amount, refund.RefundNo, refund.State)
	awaitNotify("refund.succeeded", refund.RefundNo)
	fmt.Printf("notify refund.succeeded verified for %s\n", refund.RefundNo)

	_, err = client.CloseOrder(order.OrderNo)
	var apiErr *qingyunpay.APIError
	must(errors.As(err, &apiErr) && apiErr.Code == "ORDER_STATE_INVALID", "closing a paid order: %v", err)
	fmt.Printf("closing the paid order is refused: %s (%d)\n", apiErr.Code, apiErr.Status)

	other, err := client.CreateOrder(qingyunpay.CreateOrderRequest{MchOrderNo: run + "-2", ProductCode: product, Amount: 100, Subject: "to close"})
	noErr(err, "create order")
	closed, err := client.CloseOrder(other.OrderNo)
	noErr(err, "close order")
	must(closed.State == "closed", "closed order is %s", closed.State)
	fmt.Printf("closed %s\n", closed.OrderNo)

	if rsaApp != "" {
		pem, err := os.ReadFile(os.Getenv("QY_RSA_PRIVATE_KEY_FILE"))
		noErr(err, "RSA private key")
		privateKey, err := qingyunpay.ParseRSAPrivateKeyPEM(string(pem))
		noErr(err, "RSA private key")
		rsaClient := qingyunpay.NewClient(os.Getenv("QY_BASE_URL"), os.Getenv("QY_MCH_NO"), rsaApp, privateKey)
		signed, err := rsaClient.CreateOrder(qingyunpay.CreateOrderRequest{
			MchOrderNo: run + "-3", ProductCode: product, Amount: 200, Subject: "RSA", NotifyURL: notifyURL,
		})
		noErr(err, "create order signed with RSA")
		paid, err := http.Post(signed.PayData.Value, "application/x-www-form-urlencoded", strings.NewReader("result=success"))
		noErr(err, "pay on the sandbox")
		paid.Body.Close()
		awaitNotify("order.paid", signed.OrderNo)
		fmt.Printf("RSA: order %s created with an RSA signature, its RSA-signed notify verified\n", signed.OrderNo)
	}
	fmt.Println("go example: ok")
}
