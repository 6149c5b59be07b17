package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/enact-run/enact/hostfns"
)

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// classify maps an error to a stable code, with a message that names
// what went wrong and holds no credentials.
func (c *Connector) classify(ctx context.Context, err error) *hostfns.ConnectorError {
	var ce *hostfns.ConnectorError
	if errors.As(err, &ce) {
		return ce
	}
	mk := func(code, msg string) *hostfns.ConnectorError {
		return &hostfns.ConnectorError{Code: code, Message: c.redact(msg)}
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		if errors.Is(ctx.Err(), context.Canceled) && !errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
			return mk(hostfns.CodeTimeout, "the call was cancelled")
		}
		return mk(hostfns.CodeTimeout, "the deadline passed before the database answered")
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return c.pgError(pe, errors.As(err, new(*pgconn.ConnectError)))
	}
	if pgconn.Timeout(err) {
		return mk(hostfns.CodeTimeout, "the database did not answer in time")
	}
	var dns *net.DNSError
	var errno syscall.Errno
	switch {
	case errors.As(err, &dns):
		return mk(hostfns.CodeUnavailable, "cannot reach the database: its host name does not resolve")
	case errors.As(err, &errno):
		return mk(hostfns.CodeUnavailable, "cannot reach the database: "+errno.Error())
	case errors.As(err, new(*pgconn.ConnectError)):
		return mk(hostfns.CodeUnavailable, "cannot connect to the database")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.As(err, new(*net.OpError)), strings.Contains(err.Error(), "conn closed"), strings.Contains(err.Error(), "closed pool"):
		return mk(hostfns.CodeUnavailable, "the connection to the database was lost")
	}
	return mk(hostfns.CodeConnectorError, err.Error())
}

// pgError maps a server error by its SQLSTATE. Only the primary message
// is kept: details can quote other rows.
func (c *Connector) pgError(pe *pgconn.PgError, connecting bool) *hostfns.ConnectorError {
	code := hostfns.CodeConnectorError
	msg := pe.Message
	class := pe.Code[:min(2, len(pe.Code))]
	switch {
	case pe.Code == "23505" || pe.Code == "23P01":
		code = hostfns.CodeConflict
		if pe.ConstraintName != "" {
			msg += " (constraint " + quote(pe.ConstraintName) + ")"
		}
	case pe.Code == "40001" || pe.Code == "40P01":
		code = hostfns.CodeConflict
		msg = "a concurrent transaction changed the same rows (" + msg + "); nothing was changed"
	case pe.Code == "42501" || class == "28":
		code = hostfns.CodeUnauthorized
	case pe.Code == "57014":
		code = hostfns.CodeTimeout
	case class == "08" || class == "53" || class == "57" || class == "58" || pe.Code == "3D000":
		code = hostfns.CodeUnavailable
	case class == "22" || class == "23" || class == "42" || class == "0A":
		code = hostfns.CodeInvalidArgs
	}
	if connecting && code == hostfns.CodeConnectorError {
		code = hostfns.CodeUnavailable
	}
	return &hostfns.ConnectorError{Code: code, Message: c.redact(msg)}
}
