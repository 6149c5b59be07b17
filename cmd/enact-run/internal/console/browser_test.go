package console_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// screenshotDir is where the browser test keeps a screenshot of each page:
// $ENACT_CONSOLE_SCREENSHOTS, else enact-console-screenshots in the
// system's temporary directory ($TMPDIR).
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("ENACT_CONSOLE_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "enact-console-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// chromium finds the browser: Debian's chromium package (which .ci/run
// installs), or another Chrome on the PATH. Outside CI a machine without
// one skips the test; in CI that is a failure.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on the PATH: .ci/run installs Debian's chromium package")
	}
	t.Skip("no chromium on the PATH (apt-get install chromium); CI runs this test")
	return ""
}

// TestConsoleInBrowser drives the console in a real headless Chromium, as
// an operator would: log in with a token, find the denied run, open it and
// read why it was denied, then see a tampered chain flagged. Each page is
// kept as a screenshot (see screenshotDir).
func TestConsoleInBrowser(t *testing.T) {
	t.Parallel()
	exe := chromium(t)
	f := newFixture(t)
	hd := f.addHeld(t)
	srv := httptest.NewServer(f.approvalsHandler(t))
	defer srv.Close()
	shots := screenshotDir(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(actx)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()

	// do runs steps that return nothing; value runs one that returns
	// something.
	do := func(step string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	location := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name), png, 0o644)
		})
	}
	visible := func(sel string) chromedp.Action[chromedp.Void] { return chromedp.WaitVisible(chromedp.CSS(sel)) }

	// Log in: the console sends the browser to the login form first.
	do("open the console", chromedp.Navigate(srv.URL+"/ui/"), visible("#token"), shot("01-login.png"))
	if loc := location(); !strings.HasSuffix(loc, "/ui/login") {
		t.Fatalf("the console opened at %s, want the login form", loc)
	}
	do("log in",
		chromedp.SendKeys(chromedp.CSS("#token"), opsToken),
		chromedp.Click(chromedp.CSS("#login")),
		visible("table.runs"),
		shot("02-runs.png"),
	)

	// Find the denied runs with the status filter.
	do("filter the denied runs",
		chromedp.SetValue(chromedp.CSS("#status"), "DENIED"),
		chromedp.Click(chromedp.CSS("#filter")),
		chromedp.WaitReady(chromedp.CSS(`option[value="DENIED"][selected]`)),
		visible("table.runs"),
		shot("03-denied-runs.png"),
	)
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("table.runs tbody tr")).map(r => r.innerText)`))
	if err != nil {
		t.Fatal(err)
	}
	if loc := location(); !strings.Contains(loc, "status=DENIED") || len(rows) != 2 || !strings.Contains(rows[0], "PASS, 1 denied") ||
		!strings.Contains(rows[0], "no_stats_keys") || !strings.Contains(rows[1], "BLOCK") {
		t.Fatalf("denied runs at %s:\n%s", loc, strings.Join(rows, "\n"))
	}

	// Open the denied run and read why.
	do("open the denied run",
		chromedp.Click(chromedp.CSS(`a[href="/ui/runs/`+f.ids[2]+`"]`)),
		visible("#run-reason"),
		shot("04-denied-run.png"),
	)
	why, actionWhy, verified := text("#run-reason"), text("#action-1 .action-reason"), text("#run-verified")
	if !strings.Contains(why, "kv.put denied: no_stats_keys: stats keys are reserved") ||
		!strings.Contains(actionWhy, "stats keys are reserved") || !strings.Contains(verified, "This receipt verifies") {
		t.Errorf("the denied run's page: why %q, action %q, %q", why, actionWhy, verified)
	}
	// The hostile text in the receipt is shown as text: no element was
	// made from it.
	images, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.images.length + document.scripts.length`))
	if err != nil {
		t.Fatal(err)
	}
	if images != 0 || !strings.Contains(actionWhy, `<script>alert("owned")</script>`) {
		t.Errorf("hostile text: %d images and scripts, reason %q", images, actionWhy)
	}
	do("the same page on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Reload(),
		visible("#run-reason"),
		shot("05-denied-run-phone.png"),
		chromedp.EmulateViewport(1280, 900),
	)

	// The keys, then a tampered chain.
	do("keys", chromedp.Navigate(srv.URL+"/ui/keys"), visible("table.keys"), shot("06-keys.png"))
	f.tamper(t, 2, "stats keys are reserved", "stats keys are welcome!")
	do("the tampered chain", chromedp.Navigate(srv.URL+"/ui/chain"), visible("#chain-status"), shot("07-chain-broken.png"))
	if status := text("#chain-status"); !strings.Contains(status, "BROKEN at seq 2") || !strings.Contains(status, f.ids[2]) {
		t.Errorf("chain status after tampering: %q", status)
	}
	do("the tampered run", chromedp.Navigate(srv.URL+"/ui/runs/"+f.ids[2]), visible("#run-verified"), shot("08-tampered-run.png"))
	if banner := text("#run-verified"); !strings.Contains(banner, "does NOT verify") {
		t.Errorf("tampered run banner: %q", banner)
	}

	// Log out: the session ends.
	do("log out",
		chromedp.Click(chromedp.CSS("button.link")),
		visible("#token"),
		chromedp.Navigate(srv.URL+"/ui/chain"),
		visible("#token"),
	)

	// A maintainer approves a held action: the pending request first in
	// the list, its page, the vote, the state approved.
	do("log in as a maintainer",
		chromedp.SendKeys(chromedp.CSS("#token"), leeToken),
		chromedp.Click(chromedp.CSS("#login")),
		visible(".who .actor"),
		chromedp.Navigate(srv.URL+"/ui/approvals"),
		visible("table.approvals"),
		shot("09-approvals.png"),
	)
	first, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("table.approvals tbody tr:first-child")))
	if err != nil || !strings.Contains(first, hd.id) || !strings.Contains(first, "pending") {
		t.Fatalf("the approvals list's first row: %q %v", first, err)
	}
	do("open the pending request",
		chromedp.Click(chromedp.CSS(`a.approval-link[href="/ui/approvals/`+hd.id+`"]`)),
		visible("#approve"),
		shot("10-approval-pending.png"),
	)
	if state := text("#approval-state"); state != "pending" {
		t.Errorf("state before the vote: %q", state)
	}
	do("approve it",
		chromedp.SendKeys(chromedp.CSS("#vote-reason"), "reviewed, ship it"),
		chromedp.Click(chromedp.CSS("#approve")),
		chromedp.WaitVisible(chromedp.CSS("table.votes")),
		shot("11-approval-approved.png"),
	)
	if state, votes := text("#approval-state"), text("table.votes"); state != "approved" || !strings.Contains(votes, lee) || !strings.Contains(votes, "reviewed, ship it") {
		t.Errorf("after the vote: state %q, votes %q", state, votes)
	}
	t.Logf("screenshots in %s", shots)
}
