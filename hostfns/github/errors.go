package github

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/enact-run/enact/hostfns"
)

// maxReadWait bounds how long a rate-limited read waits for its one retry.
const maxReadWait = time.Minute

func invalidArgs(format string, a ...any) error {
	return &hostfns.ConnectorError{Code: hostfns.CodeInvalidArgs, Message: fmt.Sprintf(format, a...)}
}

func conflict(format string, a ...any) error {
	return &hostfns.ConnectorError{Code: hostfns.CodeConflict, Message: fmt.Sprintf(format, a...)}
}

func notFound(format string, a ...any) error {
	return &hostfns.ConnectorError{Code: hostfns.CodeNotFound, Message: fmt.Sprintf(format, a...)}
}

// read runs a read-only request. When GitHub answers that a rate limit is
// exceeded, and the wait it announces ends before the context's deadline
// (and within maxReadWait), it waits and runs the request once more.
// Writes never go through read: a write is not retried.
func read[T any](ctx context.Context, do func() (T, *gh.Response, error)) (T, *gh.Response, error) {
	v, resp, err := do()
	if err == nil {
		return v, resp, nil
	}
	wait, limited := rateLimitWait(resp, err)
	if !limited || wait > maxReadWait {
		return v, resp, err
	}
	if deadline, ok := ctx.Deadline(); ok && !time.Now().Add(wait).Before(deadline) {
		return v, resp, err
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return v, resp, err
	case <-t.C:
	}
	return do()
}

// rateLimitWait reports whether err is GitHub's rate-limit answer and how
// long it says to wait: the longest of Retry-After and the time until
// X-RateLimit-Reset, and of what go-github learnt from them (it refuses
// requests itself until then).
func rateLimitWait(resp *gh.Response, err error) (time.Duration, bool) {
	limited := false
	var wait time.Duration
	longer := func(d time.Duration) {
		limited = true
		wait = max(wait, d)
	}
	var rle *gh.RateLimitError
	if errors.As(err, &rle) {
		longer(time.Until(rle.Rate.Reset.Time))
	}
	var abuse *gh.AbuseRateLimitError
	if errors.As(err, &abuse) {
		if abuse.RetryAfter != nil {
			longer(*abuse.RetryAfter)
		} else {
			longer(maxReadWait)
		}
	}
	if resp != nil && resp.Response != nil {
		h := resp.Header
		st := resp.StatusCode
		if st == http.StatusTooManyRequests || (st == http.StatusForbidden && (h.Get("Retry-After") != "" || h.Get("X-RateLimit-Remaining") == "0")) {
			longer(0)
			if s, err := strconv.ParseInt(h.Get("Retry-After"), 10, 64); err == nil && s >= 0 {
				longer(time.Duration(s) * time.Second)
			}
			if h.Get("X-RateLimit-Remaining") == "0" {
				if s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
					longer(time.Until(time.Unix(s, 0)))
				}
			}
		}
	}
	if limited {
		// The reset time has whole seconds; go-github compares it with now.
		wait += 50 * time.Millisecond
	}
	return wait, limited
}

// statusOf is the HTTP status GitHub answered with, 0 when there was no
// answer.
func statusOf(resp *gh.Response, err error) int {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	if resp != nil && resp.Response != nil {
		return resp.StatusCode
	}
	return 0
}

// fail turns a failed request into a *hostfns.ConnectorError; what says
// what was asked ("get branch agent/x").
func (c *Connector) fail(ctx context.Context, what string, resp *gh.Response, err error) error {
	if ctx.Err() != nil {
		return &hostfns.ConnectorError{Code: hostfns.CodeTimeout, Message: what + ": " + ctx.Err().Error()}
	}
	if wait, limited := rateLimitWait(resp, err); limited {
		return &hostfns.ConnectorError{Code: hostfns.CodeRateLimited,
			Message: fmt.Sprintf("%s: GitHub's rate limit is exceeded; retry after %ds", what, int((wait+time.Second-1)/time.Second))}
	}
	status := statusOf(resp, err)
	if status == 0 {
		return &hostfns.ConnectorError{Code: hostfns.CodeUnavailable, Message: what + ": " + err.Error()}
	}
	msg := fmt.Sprintf("%s: GitHub answered %d %s", what, status, describe(err, status))
	code := hostfns.CodeConnectorError
	switch {
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		code = hostfns.CodeUnauthorized
	case status == http.StatusNotFound:
		code = hostfns.CodeNotFound
	case status == http.StatusMethodNotAllowed, status == http.StatusConflict, status == http.StatusUnprocessableEntity:
		code = hostfns.CodeConflict
	case status == http.StatusTooManyRequests:
		code = hostfns.CodeRateLimited
	case status >= 500:
		code = hostfns.CodeUnavailable
	case status < 400:
		msg = fmt.Sprintf("%s: %v", what, err) // an answer go-github could not decode
	}
	return &hostfns.ConnectorError{Code: code, Message: msg}
}

// describe is GitHub's explanation of an error answer.
func describe(err error, status int) string {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) {
		return http.StatusText(status)
	}
	parts := []string{cmp.Or(er.Message, http.StatusText(status))}
	for _, e := range er.Errors {
		switch {
		case e.Message != "":
			parts = append(parts, e.Message)
		case e.Field != "":
			parts = append(parts, e.Resource+"."+e.Field+" "+e.Code)
		}
	}
	return strings.Join(parts, ": ")
}

// is reports whether a failed request got one of the statuses.
func is(resp *gh.Response, err error, statuses ...int) bool {
	s := statusOf(resp, err)
	for _, want := range statuses {
		if s == want {
			return true
		}
	}
	return false
}
