package qingyunpay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// APIError is a refusal: Code is the platform's stable error code (SIGNATURE_INVALID, ORDER_STATE_INVALID …).
type APIError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
	Details   map[string]any
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// PayData says how the payer pays: a QR code's content, a URL, a form, or nothing.
type PayData struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Failure is a channel's reason for a failed order or refund.
type Failure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Order is a payment order; amounts are minor units (fen).
type Order struct {
	OrderNo        string         `json:"orderNo"`
	MchOrderNo     string         `json:"mchOrderNo"`
	ProductCode    string         `json:"productCode"`
	State          string         `json:"state"`
	Amount         int64          `json:"amount"`
	Currency       string         `json:"currency"`
	Fee            int64          `json:"fee"`
	RefundedAmount int64          `json:"refundedAmount"`
	Subject        string         `json:"subject"`
	CashierURL     string         `json:"cashierUrl"`
	PayData        *PayData       `json:"payData"`
	ChannelOrderNo *string        `json:"channelOrderNo"`
	PaidAt         *string        `json:"paidAt"`
	ClosedAt       *string        `json:"closedAt"`
	ExpiresAt      string         `json:"expiresAt"`
	CreatedAt      string         `json:"createdAt"`
	Failure        *Failure       `json:"failure"`
	Extra          map[string]any `json:"extra"`
}

// CreateOrderRequest creates a payment order; mchOrderNo is the idempotency key.
type CreateOrderRequest struct {
	MchOrderNo    string         `json:"mchOrderNo"`
	ProductCode   string         `json:"productCode"`
	Amount        int64          `json:"amount"`
	Currency      string         `json:"currency,omitempty"`
	Subject       string         `json:"subject"`
	Body          string         `json:"body,omitempty"`
	NotifyURL     string         `json:"notifyUrl,omitempty"`
	ReturnURL     string         `json:"returnUrl,omitempty"`
	ClientIP      string         `json:"clientIp,omitempty"`
	ExpireSeconds int            `json:"expireSeconds,omitempty"`
	Extra         map[string]any `json:"extra,omitempty"`
}

// CreateRefundRequest refunds part or all of a paid order; mchRefundNo is the idempotency key.
type CreateRefundRequest struct {
	OrderNo     string `json:"orderNo,omitempty"`
	MchOrderNo  string `json:"mchOrderNo,omitempty"`
	MchRefundNo string `json:"mchRefundNo"`
	Amount      int64  `json:"amount"`
	Reason      string `json:"reason,omitempty"`
	NotifyURL   string `json:"notifyUrl,omitempty"`
}

// Refund is a refund of an order; amounts are minor units (fen).
type Refund struct {
	RefundNo        string   `json:"refundNo"`
	MchRefundNo     string   `json:"mchRefundNo"`
	OrderNo         string   `json:"orderNo"`
	MchOrderNo      string   `json:"mchOrderNo"`
	State           string   `json:"state"`
	Amount          int64    `json:"amount"`
	Currency        string   `json:"currency"`
	FeeRefund       int64    `json:"feeRefund"`
	Reason          *string  `json:"reason"`
	ChannelRefundNo *string  `json:"channelRefundNo"`
	CreatedAt       string   `json:"createdAt"`
	SucceededAt     *string  `json:"succeededAt"`
	FailedAt        *string  `json:"failedAt"`
	Failure         *Failure `json:"failure"`
}

// Client calls the merchant API; every request is signed.
type Client struct {
	BaseURL string
	MchNo   string
	AppID   string
	Key     SigningKey
	HTTP    *http.Client
}

// NewClient returns a client with a 30 s timeout.
func NewClient(baseURL, mchNo, appID string, key SigningKey) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), MchNo: mchNo, AppID: appID, Key: key, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

func (c *Client) CreateOrder(r CreateOrderRequest) (*Order, error) {
	var o Order
	return &o, c.Call("POST", "/api/v1/orders", r, &o)
}

func (c *Client) GetOrder(orderNo string) (*Order, error) {
	var o Order
	return &o, c.Call("GET", "/api/v1/orders/"+url.PathEscape(orderNo), nil, &o)
}

func (c *Client) GetOrderByMchOrderNo(mchOrderNo string) (*Order, error) {
	var o Order
	return &o, c.Call("GET", "/api/v1/orders?mchOrderNo="+url.QueryEscape(mchOrderNo), nil, &o)
}

func (c *Client) CloseOrder(orderNo string) (*Order, error) { return c.orderAction(orderNo, "close") }

// CancelOrder cancels (撤销) an auth-code payment the customer has not confirmed.
func (c *Client) CancelOrder(orderNo string) (*Order, error) { return c.orderAction(orderNo, "cancel") }

// SyncOrder asks the platform to query the channel now.
func (c *Client) SyncOrder(orderNo string) (*Order, error) { return c.orderAction(orderNo, "sync") }

func (c *Client) orderAction(orderNo, action string) (*Order, error) {
	var o Order
	return &o, c.Call("POST", "/api/v1/orders/"+url.PathEscape(orderNo)+"/"+action, map[string]any{}, &o)
}

func (c *Client) CreateRefund(r CreateRefundRequest) (*Refund, error) {
	var out Refund
	return &out, c.Call("POST", "/api/v1/refunds", r, &out)
}

func (c *Client) GetRefund(refundNo string) (*Refund, error) {
	var out Refund
	return &out, c.Call("GET", "/api/v1/refunds/"+url.PathEscape(refundNo), nil, &out)
}

func (c *Client) GetRefundByMchRefundNo(mchRefundNo string) (*Refund, error) {
	var out Refund
	return &out, c.Call("GET", "/api/v1/refunds?mchRefundNo="+url.QueryEscape(mchRefundNo), nil, &out)
}

// Call sends one signed request (payload nil: no body) and decodes the answer into out, or returns an *APIError.
func (c *Client) Call(method, pathWithQuery string, payload any, out any) error {
	body := ""
	if payload != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(payload); err != nil {
			return err
		}
		// Serialise once, sign those bytes, send those bytes.
		body = strings.TrimSuffix(buf.String(), "\n")
	}
	headers, err := SignRequest(method, pathWithQuery, body, c.MchNo, c.AppID, c.Key, 0, "")
	if err != nil {
		return err
	}
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	request, err := http.NewRequest(method, c.BaseURL+pathWithQuery, reader)
	if err != nil {
		return err
	}
	for name, value := range headers {
		request.Header.Set(name, value)
	}
	if body != "" {
		request.Header.Set("Content-Type", "application/json")
	}
	response, err := c.HTTP.Do(request)
	if err != nil {
		return err
	}
	defer response.Body.Close()
	text, err := io.ReadAll(response.Body)
	if err != nil {
		return err
	}
	if response.StatusCode < 200 || response.StatusCode > 299 {
		return apiError(response.StatusCode, text)
	}
	if out == nil || len(text) == 0 {
		return nil
	}
	return json.Unmarshal(text, out)
}

func apiError(status int, text []byte) *APIError {
	var parsed struct {
		Code      string         `json:"code"`
		Message   string         `json:"message"`
		RequestID string         `json:"requestId"`
		Details   map[string]any `json:"details"`
	}
	if json.Unmarshal(text, &parsed) != nil || parsed.Code == "" {
		return &APIError{Status: status, Code: "HTTP_ERROR", Message: fmt.Sprintf("HTTP %d: %s", status, text)}
	}
	return &APIError{Status: status, Code: parsed.Code, Message: parsed.Message, RequestID: parsed.RequestID, Details: parsed.Details}
}
