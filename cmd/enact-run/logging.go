package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/pflag"
)

// logFlags are the server log's flags of the long-lived commands.
type logFlags struct {
	level, format string
}

func (l *logFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&l.level, "log-level", "info", "server log level: debug, info, warn or error")
	fl.StringVar(&l.format, "log-format", "text", "server log format on standard error: text (key=value) or json (one object a line)")
}

// setupLog makes the server log the flags ask for, on standard error, and
// keeps it as c.log. Bad values are a usage error.
func (c *cli) setupLog(l logFlags) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.level)); err != nil {
		return c.fail(exitUsage, fmt.Errorf("--log-level %q: want debug, info, warn or error", l.level))
	}
	opts := &slog.HandlerOptions{Level: level}
	switch l.format {
	case "text":
		c.log = slog.New(slog.NewTextHandler(c.stderr, opts))
	case "json":
		c.log = slog.New(slog.NewJSONHandler(c.stderr, opts))
	default:
		return c.fail(exitUsage, fmt.Errorf("--log-format %q: want text or json", l.format))
	}
	return nil
}

// serverLog is the server log: the one setupLog made, or text at info.
func (c *cli) serverLog() *slog.Logger {
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(c.stderr, nil))
	}
	return c.log
}
