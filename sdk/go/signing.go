// Package qingyunpay is the Qingyun Pay merchant API client: signed requests, notify verification,
// orders and refunds. Standard library only.
//
// Request: base64(sign("METHOD\nPATH?QUERY\nMCH\nAPP\nTIMESTAMP\nNONCE\nBODY\n"))
// Notify:  base64(sign("TIMESTAMP\nNONCE\nBODY\n"))
// sign = HMAC-SHA256 with the app secret, or RSA-SHA256 (PKCS#1 v1.5) with a private key; base64 is
// the standard alphabet with padding, and only its one canonical form is accepted.
package qingyunpay

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The signed headers.
const (
	HeaderMerchant  = "X-Qy-Mch"
	HeaderApp       = "X-Qy-App"
	HeaderTimestamp = "X-Qy-Timestamp"
	HeaderNonce     = "X-Qy-Nonce"
	HeaderSignType  = "X-Qy-Sign-Type"
	HeaderSignature = "X-Qy-Signature"

	HMACSHA256 = "HMAC-SHA256"
	RSASHA256  = "RSA-SHA256"
)

// SigningKey signs requests: HMACKey (the app secret) or RSAPrivateKey.
type SigningKey interface {
	SignType() string
	Sign(text string) (string, error)
}

// VerifyingKey verifies notifies: HMACKey (the app secret) or RSAPublicKey (the platform's key of your app).
type VerifyingKey interface {
	SignType() string
	Verify(text, signature string) bool
}

// HMACKey is the app secret.
type HMACKey struct{ Secret string }

func (HMACKey) SignType() string { return HMACSHA256 }

func (k HMACKey) mac(text string) []byte {
	m := hmac.New(sha256.New, []byte(k.Secret))
	m.Write([]byte(text))
	return m.Sum(nil)
}

// Sign returns the base64 HMAC-SHA256 of the UTF-8 text.
func (k HMACKey) Sign(text string) (string, error) {
	return base64.StdEncoding.EncodeToString(k.mac(text)), nil
}

// Verify is false for a wrong signature and for any signature not in canonical standard base64.
func (k HMACKey) Verify(text, signature string) bool {
	if !IsCanonicalBase64(signature) {
		return false
	}
	given, _ := base64.StdEncoding.DecodeString(signature)
	return subtle.ConstantTimeCompare(given, k.mac(text)) == 1
}

// RSAPrivateKey signs with RSA-SHA256 (PKCS#1 v1.5).
type RSAPrivateKey struct{ Key *rsa.PrivateKey }

// ParseRSAPrivateKeyPEM reads a PKCS#8 ("PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY") PEM.
func ParseRSAPrivateKeyPEM(text string) (RSAPrivateKey, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return RSAPrivateKey{}, errors.New("qingyunpay: no PEM block in the private key")
	}
	if key, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return RSAPrivateKey{key}, nil
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return RSAPrivateKey{}, fmt.Errorf("qingyunpay: private key: %w", err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return RSAPrivateKey{}, errors.New("qingyunpay: the private key is not an RSA key")
	}
	return RSAPrivateKey{key}, nil
}

func (RSAPrivateKey) SignType() string { return RSASHA256 }

func (k RSAPrivateKey) Sign(text string) (string, error) {
	digest := sha256.Sum256([]byte(text))
	sig, err := rsa.SignPKCS1v15(nil, k.Key, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// RSAPublicKey verifies RSA-SHA256 notifies with the platform's public key of your app.
type RSAPublicKey struct{ Key *rsa.PublicKey }

// ParseRSAPublicKeyPEM reads an SPKI ("PUBLIC KEY") or PKCS#1 ("RSA PUBLIC KEY") PEM.
func ParseRSAPublicKeyPEM(text string) (RSAPublicKey, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return RSAPublicKey{}, errors.New("qingyunpay: no PEM block in the public key")
	}
	if key, err := x509.ParsePKCS1PublicKey(block.Bytes); err == nil {
		return RSAPublicKey{key}, nil
	}
	parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return RSAPublicKey{}, fmt.Errorf("qingyunpay: public key: %w", err)
	}
	key, ok := parsed.(*rsa.PublicKey)
	if !ok {
		return RSAPublicKey{}, errors.New("qingyunpay: the public key is not an RSA key")
	}
	return RSAPublicKey{key}, nil
}

func (RSAPublicKey) SignType() string { return RSASHA256 }

func (k RSAPublicKey) Verify(text, signature string) bool {
	if !IsCanonicalBase64(signature) {
		return false
	}
	given, _ := base64.StdEncoding.DecodeString(signature)
	digest := sha256.Sum256([]byte(text))
	return rsa.VerifyPKCS1v15(k.Key, crypto.SHA256, digest[:], given) == nil
}

var base64Shape = regexp.MustCompile(`^[A-Za-z0-9+/]+={0,2}$`)

// IsCanonicalBase64 says whether text is standard padded base64 in its one canonical form.
func IsCanonicalBase64(text string) bool {
	if len(text) == 0 || len(text)%4 != 0 || !base64Shape.MatchString(text) {
		return false
	}
	decoded, err := base64.StdEncoding.Strict().DecodeString(text)
	return err == nil && base64.StdEncoding.EncodeToString(decoded) == text
}

// RequestSigningString is the text a request's signature covers.
func RequestSigningString(method, pathWithQuery, mchNo, appID, timestamp, nonce, body string) string {
	return strings.ToUpper(method) + "\n" + pathWithQuery + "\n" + mchNo + "\n" + appID + "\n" +
		timestamp + "\n" + nonce + "\n" + body + "\n"
}

// NotifySigningString is the text a notify's signature covers.
func NotifySigningString(timestamp, nonce, body string) string {
	return timestamp + "\n" + nonce + "\n" + body + "\n"
}

// NewNonce returns 32 hex characters.
func NewNonce() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// SignRequest returns the X-Qy-* headers of one request; timestamp 0 means now, nonce "" a new one.
func SignRequest(method, pathWithQuery, body, mchNo, appID string, key SigningKey, timestamp int64, nonce string) (map[string]string, error) {
	if timestamp == 0 {
		timestamp = time.Now().Unix()
	}
	if nonce == "" {
		nonce = NewNonce()
	}
	ts := strconv.FormatInt(timestamp, 10)
	signature, err := key.Sign(RequestSigningString(method, pathWithQuery, mchNo, appID, ts, nonce, body))
	if err != nil {
		return nil, err
	}
	return map[string]string{
		HeaderMerchant:  mchNo,
		HeaderApp:       appID,
		HeaderTimestamp: ts,
		HeaderNonce:     nonce,
		HeaderSignType:  key.SignType(),
		HeaderSignature: signature,
	}, nil
}

// Why a notify was refused.
const (
	NotifyMissingHeaders   = "MISSING_HEADERS"
	NotifySignTypeMismatch = "SIGN_TYPE_MISMATCH"
	NotifyTimestampExpired = "TIMESTAMP_EXPIRED"
	NotifySignatureInvalid = "SIGNATURE_INVALID"
)

// VerifyNotifyAt checks a notify's headers and raw body at unix time now with a tolerance in
// seconds; it returns "" when the notify is ours, else the reason. Also drop nonces you have seen.
func VerifyNotifyAt(headers http.Header, rawBody []byte, key VerifyingKey, toleranceSeconds, now int64) string {
	timestamp := headers.Get(HeaderTimestamp)
	nonce := headers.Get(HeaderNonce)
	signature := headers.Get(HeaderSignature)
	signType := headers.Get(HeaderSignType)
	if timestamp == "" || nonce == "" || signature == "" || signType == "" {
		return NotifyMissingHeaders
	}
	if signType != key.SignType() {
		return NotifySignTypeMismatch
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || strings.TrimLeft(timestamp, "0123456789") != "" || abs(now-ts) > toleranceSeconds {
		return NotifyTimestampExpired
	}
	if !key.Verify(NotifySigningString(timestamp, nonce, string(rawBody)), signature) {
		return NotifySignatureInvalid
	}
	return ""
}

// VerifyNotify checks a notify now with a 300 s tolerance; "" when it is ours, else the reason.
func VerifyNotify(headers http.Header, rawBody []byte, key VerifyingKey) string {
	return VerifyNotifyAt(headers, rawBody, key, 300, time.Now().Unix())
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
