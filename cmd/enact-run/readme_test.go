package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// readmeCommand is one command of a sh block of the README.
type readmeCommand struct {
	line  int    // where it starts in README.md
	text  string // continuation lines joined
	exit  int    // the exit code its comment announces, "(exit N)"; 0 by default
	needs string // why it cannot run here, from "(needs: …)"; "" when it can
}

// readmeBlock is one ```sh block; skip is the reason of a
// "<!-- readme-test: skip (…) -->" line just before it.
type readmeBlock struct {
	line     int
	skip     string
	commands []readmeCommand
}

var (
	readmeSkip  = regexp.MustCompile(`^<!-- readme-test: skip \((.+)\) -->$`)
	readmeExit  = regexp.MustCompile(`\(exit (\d+)`)
	readmeNeeds = regexp.MustCompile(`\(needs: ([^)]+)\)`)
)

// readmeBlocks reads the sh blocks of a README.
func readmeBlocks(data []byte) []readmeBlock {
	var blocks []readmeBlock
	var cur *readmeBlock
	skip := ""
	var pending *readmeCommand
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		switch {
		case cur == nil && l == "```sh":
			blocks = append(blocks, readmeBlock{line: n, skip: skip})
			cur = &blocks[len(blocks)-1]
		case cur == nil:
			skip = ""
			if m := readmeSkip.FindStringSubmatch(l); m != nil {
				skip = m[1]
			}
		case l == "```":
			cur, skip = nil, ""
		case pending != nil:
			pending.text += "\n" + l
			if !strings.HasSuffix(l, `\`) {
				cur.commands = append(cur.commands, *pending)
				pending = nil
			}
		case strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#"):
		default:
			c := readmeCommand{line: n, text: l}
			if strings.HasSuffix(l, `\`) {
				pending = &c
				continue
			}
			cur.commands = append(cur.commands, c)
		}
	}
	for b := range blocks {
		for i := range blocks[b].commands {
			c := &blocks[b].commands[i]
			if m := readmeExit.FindStringSubmatch(c.text); m != nil {
				c.exit, _ = strconv.Atoi(m[1])
			}
			if m := readmeNeeds.FindStringSubmatch(c.text); m != nil {
				c.needs = m[1]
			}
		}
	}
	return blocks
}

// TestREADMECommands runs the README's commands as a reader would type
// them, from the repository's root (bin/enact-run is the binary built for
// the tests; the files they name are shipped under examples/): each sh
// block in one shell, each command's exit code checked against the one its
// comment announces (0 unless it says "(exit N)"). Commands that need a
// service ("(needs: …)") and blocks marked "readme-test: skip" are reported
// and left out; a placeholder RUN_ID is the newest run's id, APPROVAL_ID the
// newest approval request's (both as they are when the block starts).
func TestREADMECommands(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	for _, name := range []string{"capabilities", "plugins", "examples"} {
		if err := os.Symlink(filepath.Join(root, name), filepath.Join(work, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(work, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(realBinary(t), filepath.Join(work, "bin", "enact-run")); err != nil {
		t.Fatal(err)
	}
	// A reader's environment: nothing of the runner's own state, nothing
	// of a connector's credentials.
	env := []string{
		"PATH=" + filepath.Join(work, "bin") + ":/usr/local/bin:/usr/bin:/bin",
		"HOME=" + t.TempDir(), "ENACT_HOME=" + t.TempDir(), "ENACT_CACHE_DIR=" + testCacheDir,
		"TMPDIR=" + os.TempDir(),
	}
	ran, skipped := 0, 0
	for _, b := range readmeBlocks(data) {
		if b.skip != "" {
			skipped += len(b.commands)
			t.Logf("README.md:%d: block skipped: %s", b.line, b.skip)
			continue
		}
		// One shell per block, so that a variable set on one line serves
		// the next; after each command its exit code is appended to rcs.
		rcs := filepath.Join(t.TempDir(), "rcs")
		var script strings.Builder
		var run []readmeCommand
		for _, c := range b.commands {
			switch {
			case c.needs != "":
				skipped++
				t.Logf("README.md:%d: skipped (needs %s)", c.line, c.needs)
				continue
			case strings.HasPrefix(c.text, "go "):
				skipped++ // the toolchain's own commands: the test built the binary
				continue
			}
			text := c.text
			if strings.Contains(text, "RUN_ID") {
				text = strings.ReplaceAll(text, "RUN_ID", newestRunID(t, work, env))
			}
			if strings.Contains(text, "APPROVAL_ID") {
				text = strings.ReplaceAll(text, "APPROVAL_ID", newestApprovalID(t, work, env))
			}
			fmt.Fprintf(&script, "%s\necho \"%d $?\" >>%q\n", text, len(run), rcs)
			run = append(run, c)
		}
		if len(run) == 0 {
			continue
		}
		cmd := exec.Command("/bin/sh", "-c", script.String())
		cmd.Dir, cmd.Env, cmd.Stdin = work, env, strings.NewReader("")
		out, _ := cmd.CombinedOutput()
		if len(out) > 4000 {
			out = append([]byte("…"), out[len(out)-4000:]...)
		}
		got := map[int]int{}
		if data, err := os.ReadFile(rcs); err == nil {
			for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				var i, rc int
				if _, err := fmt.Sscanf(l, "%d %d", &i, &rc); err == nil {
					got[i] = rc
				}
			}
		}
		for i, c := range run {
			rc, ok := got[i]
			switch {
			case !ok:
				t.Errorf("README.md:%d: did not run to its end: %s\noutput of the block:\n%s", c.line, c.text, out)
			case rc != c.exit:
				t.Errorf("README.md:%d: exit %d, the README says %d: %s\noutput of the block:\n%s", c.line, rc, c.exit, c.text, out)
			}
		}
		ran += len(run)
	}
	t.Logf("%d README commands ran, %d left out", ran, skipped)
	if ran < 25 {
		t.Errorf("only %d README commands ran: the parser or the README lost some", ran)
	}
}

// newestRunID is the id of the newest run in the README test's home.
func newestRunID(t *testing.T, work string, env []string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(work, "bin", "enact-run"), "receipts", "list", "--last", "1", "--json")
	cmd.Dir, cmd.Env = work, env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("receipts list: %v", err)
	}
	var listed struct {
		Runs []struct {
			RunID string `json:"run_id"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &listed); err != nil || len(listed.Runs) == 0 {
		t.Fatalf("receipts list --json: %v\n%s", err, out)
	}
	return listed.Runs[0].RunID
}

// newestApprovalID is the id of the newest approval request in the README
// test's home.
func newestApprovalID(t *testing.T, work string, env []string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(work, "bin", "enact-run"), "approvals", "list", "--state", "all", "--json")
	cmd.Dir, cmd.Env = work, env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("approvals list: %v", err)
	}
	var listed []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(out, &listed); err != nil || len(listed) == 0 {
		t.Fatalf("approvals list --json: %v\n%s", err, out)
	}
	return listed[0].ID
}
