package receiptview

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"
)

// Clean makes text from a receipt safe to print on a terminal: control
// characters (escape sequences among them), and the bidirectional
// formatting characters that make text read differently from its bytes,
// become visible escapes such as \x1b and \u202e. With multiline, newlines
// and tabs stay.
func Clean(s string, multiline bool) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r, multiline) {
			clean = false
			break
		}
	}
	if clean && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r, multiline):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unsafeRune(r rune, multiline bool) bool {
	if multiline && (r == '\n' || r == '\t') {
		return false
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
}

// line is Clean on one line: newlines become \n.
func line(s string) string { return Clean(s, false) }

// shorten cuts s to n runes with an ellipsis.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// TimeText formats a time for people: UTC, to the millisecond.
func TimeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000") + " UTC"
}

// DurationText formats milliseconds for people.
func DurationText(ms float64) string {
	d := time.Duration(ms * float64(time.Millisecond))
	switch {
	case d < time.Millisecond:
		return strconv.FormatFloat(ms, 'f', 3, 64) + " ms"
	case d < time.Second:
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	}
	return d.Round(time.Millisecond).String()
}

// WriteSummaries prints a table of runs, newest first: seq, time, run id,
// capability, actor, status label, action counts and the reason. more
// adds a line saying that older runs were left out.
func WriteSummaries(w io.Writer, items []Item, more bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME (UTC)\tRUN ID\tCAPABILITY\tACTOR\tSTATUS\tACTIONS\tREASON")
	for _, it := range items {
		s := it.Summary
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Seq, s.Time.UTC().Format("2006-01-02 15:04:05"), line(s.RunID),
			shorten(line(s.Capability), 40), shorten(line(s.Actor), 40), line(s.Label), countsText(s.Actions), shorten(line(s.Reason), 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(items) == 0 {
		_, err := fmt.Fprintln(w, "(no runs match)")
		return err
	}
	if more {
		_, err := fmt.Fprintln(w, "… older runs not shown (--last N for more, --last 0 for all)")
		return err
	}
	return nil
}

// countsText is "2 allowed, 1 denied" or "-".
func countsText(c Counts) string { return CountsText(c, "-") }

// CountsText says how many actions were allowed, denied, failed and held
// for approval, the nonzero ones ("2 allowed, 1 denied"), or none when all
// are zero.
func CountsText(c Counts, none string) string {
	var parts []string
	for _, p := range []struct {
		n    int
		word string
	}{{c.Allowed, "allowed"}, {c.Denied, "denied"}, {c.Failed, "failed"}, {c.Held, "held"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.word))
		}
	}
	if len(parts) == 0 {
		return none
	}
	return strings.Join(parts, ", ")
}

// WriteView prints the full account of one run.
func WriteView(w io.Writer, v *View) error {
	p := &printer{w: w}
	p.f("Run %s: %s\n", line(v.RunID), line(v.Label))
	if v.Reason != "" {
		p.f("  why         %s\n", indentRest(Clean(v.Reason, true), 14))
	}
	p.f("  capability  %s %s (%s)\n", line(v.Capability), line(v.CapabilityVersion), line(v.CapabilityDigest))
	roles := ""
	if len(v.Roles) > 0 {
		roles = " (roles: " + line(strings.Join(v.Roles, ", ")) + ")"
	}
	p.f("  actor       %s%s\n", line(v.Actor), roles)
	p.f("  when        %s, took %s; sealed %s\n", TimeText(v.Started), DurationText(v.DurationMS), TimeText(v.Time))
	p.f("  status      %s (decision %s)\n", line(v.Status), v.Decision)
	if v.IdempotencyKey != "" {
		p.f("  idem. key   %s\n", line(v.IdempotencyKey))
	}
	p.f("  policy      %s\n", orDash(line(v.PolicyDigest)))
	if v.Error != "" {
		p.f("  error       %s\n", indentRest(Clean(v.Error, true), 14))
	}

	p.f("\nRun policies:\n")
	writePolicies(p, v.RunPolicies, "  ")

	if len(v.Actions) == 0 {
		p.f("\nActions: none\n")
	} else {
		p.f("\nActions (%s):\n", countsText(v.Summary.Actions))
	}
	for _, a := range v.Actions {
		p.f("  %d. %s  %s  at %s, %s\n", a.Seq, line(a.Action), strings.ToUpper(a.Decision), TimeText(a.Started), DurationText(a.DurationMS))
		if a.Reason != "" {
			p.f("     why      %s\n", indentRest(Clean(a.Reason, true), 14))
		}
		p.f("     effect   %s\n", a.Effect)
		if len(a.Policies) > 0 {
			p.f("     policies\n")
			writePolicies(p, a.Policies, "       ")
		}
		writeFields(p, "     facts    ", a.Facts)
		writeFields(p, "     target   ", a.Target)
		if a.Result != "" {
			p.f("     result   %s\n", indentRest(Clean(a.Result, true), 14))
		}
		if a.Error != "" && a.Error != a.Reason {
			p.f("     error    %s\n", indentRest(Clean(a.Error, true), 14))
		}
		p.f("     args     %s\n", line(a.ArgsDigest))
	}

	p.f("\nOutputs:\n")
	writeFieldList(p, v.Outputs)
	p.f("\nInputs:\n")
	writeFieldList(p, v.Inputs)
	if len(v.Plugins) > 0 {
		p.f("\nPlugins:\n")
		for _, pl := range v.Plugins {
			p.f("  %s  %s\n", line(pl.Task), line(pl.Digest))
			if len(pl.ConfigKeys) > 0 {
				p.f("    config keys: %s\n", line(strings.Join(pl.ConfigKeys, ", ")))
			}
			for _, l := range pl.Logs {
				p.f("    log %s\n", line(l))
			}
		}
	}
	if len(v.Children) > 0 {
		p.f("\nChild runs:\n")
		for _, c := range v.Children {
			p.f("  %s  %s  %s\n", line(c.RunID), line(c.Capability), line(c.Label))
		}
	}

	p.f("\nSignatures:\n")
	for _, s := range v.Signatures {
		p.f("  %s  %s  %s\n", line(s.KeyID), line(s.Alg), s.State)
	}
	if v.Verified {
		p.f("  the receipt verifies (hash and signatures)\n")
	} else {
		p.f("  THE RECEIPT DOES NOT VERIFY: %s\n", line(v.VerifyError))
	}
	p.f("\nChain:\n  seq   %d\n  hash  %s\n  prev  %s\n", v.Seq, line(v.Hash), orDash(line(v.Prev)))
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func writePolicies(p *printer, rs []PolicyRow, indent string) {
	if len(rs) == 0 {
		p.f("%snone\n", indent)
	}
	for _, r := range rs {
		mark := "pass"
		if !r.Passed {
			mark = "FAIL"
		}
		p.f("%s%s  %s: %s\n", indent, mark, line(r.Policy), indentRest(Clean(r.Reason, true), len(indent)+6))
	}
}

func writeFields(p *printer, head string, fs []Field) {
	if len(fs) == 0 {
		return
	}
	for i, f := range fs {
		if i > 0 {
			head = strings.Repeat(" ", len(head))
		}
		p.f("%s%s = %s\n", head, line(f.Name), line(f.Value))
	}
}

func writeFieldList(p *printer, fs []Field) {
	if len(fs) == 0 {
		p.f("  none\n")
	}
	for _, f := range fs {
		p.f("  %s = %s\n", line(f.Name), line(f.Value))
	}
}

// indentRest indents every line of s after the first by n spaces.
func indentRest(s string, n int) string {
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", n))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
