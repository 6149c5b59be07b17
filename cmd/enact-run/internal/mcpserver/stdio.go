package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// stdioTransport is the transport of ServeStdio: newline-delimited JSON-RPC
// like the go-sdk's IOTransport, except that it frames the lines itself,
// bounded by the guard's size, and checks each line before the go-sdk sees
// it. The go-sdk's own connection ends the session on the first message it
// cannot decode; this one answers that message with a JSON-RPC error and
// reads on.
type stdioTransport struct {
	in    io.Reader
	out   io.Writer
	guard guard
	log   *slog.Logger
}

// Connect implements mcp.Transport.
func (t *stdioTransport) Connect(context.Context) (mcp.Connection, error) {
	c := &stdioConn{out: t.out, incoming: make(chan readResult), closed: make(chan struct{})}
	go c.readLoop(newLineReader(t.in, t.guard.maxBytes), t.guard, t.log)
	return c, nil
}

type readResult struct {
	msg jsonrpc.Message
	err error
}

// stdioConn is one stdio session's connection.
type stdioConn struct {
	writeMu sync.Mutex // one message per Write on out
	out     io.Writer

	incoming chan readResult
	closed   chan struct{}
	once     sync.Once
}

// readLoop reads lines until the input ends or the connection closes:
// what the guard lets through goes to Read, what it refuses is answered
// here, in the order the lines came.
func (c *stdioConn) readLoop(lr *lineReader, g guard, log *slog.Logger) {
	for {
		line, tooLong, err := lr.next()
		if err == nil && !tooLong && len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		res := readResult{err: err}
		if err == nil {
			v := g.check(line, tooLong)
			switch {
			case v.reply != nil:
				log.Warn("mcpserver: refused a message", "code", v.code, "bytes", lr.lineBytes)
				res.err = c.writeLine(v.reply)
			case v.msg == nil:
				log.Warn("mcpserver: dropped a message", "code", v.code, "reason", v.dropped, "bytes", lr.lineBytes)
			default:
				res.msg = v.msg
			}
			if res.msg == nil && res.err == nil {
				continue
			}
		}
		select {
		case c.incoming <- res:
		case <-c.closed:
			return
		}
		if res.err != nil {
			return
		}
	}
}

// Read implements mcp.Connection.
func (c *stdioConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.closed:
		return nil, io.EOF
	case r := <-c.incoming:
		return r.msg, r.err
	}
}

// Write implements mcp.Connection.
func (c *stdioConn) Write(ctx context.Context, msg jsonrpc.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := jsonrpc.EncodeMessage(msg)
	if err != nil {
		return err
	}
	return c.writeLine(data)
}

func (c *stdioConn) writeLine(data []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	select {
	case <-c.closed:
		return mcp.ErrConnectionClosed
	default:
	}
	_, err := c.out.Write(append(data, '\n'))
	return err
}

// Close implements mcp.Connection. It does not close the input: reading
// standard input cannot be interrupted portably, so the reading goroutine
// ends at the next line or at the end of the input.
func (c *stdioConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

// SessionID implements mcp.Connection: stdio sessions have none.
func (c *stdioConn) SessionID() string { return "" }

// lineReader frames newline-delimited messages, holding at most max bytes
// of a line: the rest of a longer line is read and discarded.
type lineReader struct {
	br  *bufio.Reader
	max int
	buf []byte
	// lineBytes is the full length of the last line, end of line excluded.
	lineBytes int
	err       error // the error to return after the last line
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line without its end of line ("\n" or "\r\n").
// tooLong reports a line longer than max, of which line holds the first
// max bytes. A last line without end of line is returned before the error
// that ended the input (io.EOF at the end).
func (l *lineReader) next() (line []byte, tooLong bool, err error) {
	if l.err != nil {
		return nil, false, l.err
	}
	l.buf, l.lineBytes = l.buf[:0], 0
	for {
		chunk, err := l.br.ReadSlice('\n')
		content := chunk
		if err == nil {
			content = chunk[:len(chunk)-1]
		}
		l.lineBytes += len(content)
		if !tooLong {
			if room := l.max - len(l.buf); len(content) > room {
				l.buf = append(l.buf, content[:room]...)
				tooLong = true
			} else {
				l.buf = append(l.buf, content...)
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			l.err = err
			if l.lineBytes == 0 {
				return nil, false, err
			}
		}
		line = l.buf
		if !tooLong && len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		return line, tooLong, nil
	}
}
