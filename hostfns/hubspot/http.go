package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/enact-run/enact/hostfns"
)

const (
	// maxResponseBytes bounds one HubSpot response body.
	maxResponseBytes = 8 << 20
	// maxRetryWait is the longest Retry-After a read waits out.
	maxRetryWait = 10 * time.Second
	// defaultRetryAfter is the wait when a 429 names none (HubSpot's
	// limits are per second).
	defaultRetryAfter = time.Second
	// maxMessage bounds the HubSpot message carried into an error.
	maxMessage = 1000
)

// httpError is a non-2xx answer from HubSpot.
type httpError struct {
	Status     int
	Message    string // HubSpot's message
	Category   string
	RetryAfter time.Duration // for 429
}

func (e *httpError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	s := fmt.Sprintf("HubSpot answered %d: %s", e.Status, msg)
	if e.Status == http.StatusTooManyRequests {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

func (e *httpError) code() string {
	switch {
	case e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity:
		return hostfns.CodeInvalidArgs
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return hostfns.CodeUnauthorized
	case e.Status == http.StatusNotFound:
		return hostfns.CodeNotFound
	case e.Status == http.StatusConflict:
		return hostfns.CodeConflict
	case e.Status == http.StatusTooManyRequests:
		return hostfns.CodeRateLimited
	case e.Status >= 500:
		return hostfns.CodeUnavailable
	}
	return hostfns.CodeConnectorError
}

func statusIs(err error, status int) bool {
	var he *httpError
	return errors.As(err, &he) && he.Status == status
}

// objectsPath is the path of an object type's collection:
// /crm/v3/objects/contacts or /crm/objects/2026-03/contacts.
func (c *Connector) objectsPath(objectType string) string {
	if strings.HasPrefix(c.version, "v") {
		return "/crm/" + c.version + "/objects/" + objectType
	}
	return "/crm/objects/" + c.version + "/" + objectType
}

// read marks requests that change nothing and may be retried after a 429.
type retry bool

const (
	retryRead  retry = true
	neverRetry retry = false
)

// do sends one request and decodes a 2xx JSON answer into out (when not
// nil). A read rate-limited by HubSpot is retried once when the wait fits.
func (c *Connector) do(ctx context.Context, method, path string, query url.Values, body any, r retry, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("encoding the request: %w", err)
		}
	}
	for attempt := 0; ; attempt++ {
		err := c.once(ctx, method, path, query, payload, out)
		he, ok := err.(*httpError)
		if !ok || he.Status != http.StatusTooManyRequests || r != retryRead || attempt > 0 || !fits(ctx, he.RetryAfter) {
			return err
		}
		t := time.NewTimer(he.RetryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// fits reports whether waiting d leaves the context time to retry.
func fits(ctx context.Context, d time.Duration) bool {
	if d > maxRetryWait {
		return false
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= d {
		return false
	}
	return true
}

func (c *Connector) once(ctx context.Context, method, path string, query url.Values, payload []byte, out any) error {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "enact-hubspot")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return err
	}
	if len(b) > maxResponseBytes {
		return fmt.Errorf("HubSpot's answer is larger than %d bytes", maxResponseBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newHTTPError(resp, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("HubSpot's answer to %s %s is not the expected JSON: %v", method, path, err)
	}
	return nil
}

// hubspotError is HubSpot's error body.
type hubspotError struct {
	Message  string `json:"message"`
	Category string `json:"category"`
	Errors   []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

func newHTTPError(resp *http.Response, b []byte) *httpError {
	he := &httpError{Status: resp.StatusCode}
	var body hubspotError
	if json.Unmarshal(b, &body) == nil {
		he.Message, he.Category = body.Message, body.Category
		if he.Message == "" && len(body.Errors) > 0 {
			he.Message = body.Errors[0].Message
		}
	}
	if len(he.Message) > maxMessage {
		he.Message = he.Message[:maxMessage] + "…"
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		he.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return he
}

// retryAfter reads a Retry-After header: seconds (possibly fractional) or
// an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return defaultRetryAfter
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 || math.IsNaN(s) {
			return defaultRetryAfter
		}
		if s > 86400 {
			s = 86400
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
		return 0
	}
	return defaultRetryAfter
}
