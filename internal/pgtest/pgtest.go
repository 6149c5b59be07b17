// Package pgtest gives tests a real PostgreSQL database.
//
// NewDatabase creates an empty database for one test and drops it when the
// test ends, so tests that use it may run in parallel. The databases live
// on the server named by $ENACT_PG_DSN when it is set (its role needs
// CREATEDB), and otherwise on a throwaway server started once per test
// binary: initdb in a fresh temporary directory, then postgres on a free
// 127.0.0.1 port with password (SCRAM) authentication over TCP. Run as root,
// both run as the postgres system user (initdb refuses root).
//
// A package whose tests use it stops that server and removes its files
// from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// Without pgtest.Main the server is still stopped when the test binary
// exits (it is started with a parent-death signal), but its temporary
// directory is left behind.
//
// A test that stops the server under its databases (to see what a store
// does while the database is down) gets a server of its own from
// NewServer, which it may Stop and Start again; the shared server is never
// stopped while tests run. Such a server is always a throwaway one, even
// when $ENACT_PG_DSN is set.
//
// When no server can be had (no $ENACT_PG_DSN and no PostgreSQL binaries,
// or for NewServer no binaries), NewDatabase and NewServer fail the test
// when $CI is set (CI must not skip these tests) and skip it otherwise.
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the environment variable of an existing server to use
// instead of a throwaway one.
const EnvDSN = "ENACT_PG_DSN"

var (
	once   sync.Once
	shared *server
	errNo  error // why there is no server
)

// server is where the test databases are created.
type server struct {
	dsn string // of the maintenance database, with credentials
	// Set only for a throwaway server.
	dir      string
	postgres string // the postgres binary
	data     string // the data directory
	port     int
	cred     *syscall.Credential // whom postgres runs as; nil for this process's user
	cmd      *exec.Cmd           // nil while the server is stopped
	done     chan struct{}       // closed when cmd has exited
	log      *bytes.Buffer
}

// Main runs m's tests, then stops the throwaway server (if one was
// started) and removes its files, and exits with the tests' status.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the throwaway server, if one was started, and removes its
// files. Main calls it; NewDatabase must not be called afterwards.
func Stop() {
	if shared != nil {
		shared.stop()
	}
}

// NewDatabase creates an empty database, runs the setup statements in it
// (each may hold several statements separated by semicolons) and returns
// its DSN, a postgres:// URL with credentials. The database is dropped
// when t ends.
func NewDatabase(t testing.TB, setup ...string) string {
	t.Helper()
	once.Do(func() { shared, errNo = start() })
	if errNo != nil {
		noServer(t, errNo, "set "+EnvDSN+", or install PostgreSQL")
	}
	return shared.database(t, true, setup)
}

// noServer fails t when $CI is set and skips it otherwise, saying why
// there is no server and what would give one.
func noServer(t testing.TB, why error, remedy string) {
	t.Helper()
	if inCI() {
		t.Fatalf("pgtest: no PostgreSQL server for this test, and CI must not skip it: %v", why)
	}
	t.Skipf("pgtest: no PostgreSQL server (%s): %v", remedy, why)
}

// database creates a database on s, runs the setup statements in it and
// returns its DSN; with drop, the database is dropped when t ends.
func (s *server) database(t testing.TB, drop bool, setup []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := "t_" + randomHex(8)
	admin, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		t.Fatalf("pgtest: connect to the server: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	if drop {
		t.Cleanup(func() { s.drop(t, name) })
	}
	dsn, err := withDatabase(s.dsn, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if len(setup) > 0 {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatalf("pgtest: connect to %s: %v", name, err)
		}
		defer conn.Close(ctx)
		for _, sql := range setup {
			// The simple protocol runs several statements in one string.
			if _, err := conn.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol); err != nil {
				t.Fatalf("pgtest: setup %q: %v", sql, err)
			}
		}
	}
	return dsn
}

// drop drops database name, reporting a failure to t.
func (s *server) drop(t testing.TB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		t.Errorf("pgtest: drop database %s: %v", name, err)
		return
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Errorf("pgtest: drop database %s: %v", name, err)
	}
}

// Server is a throwaway PostgreSQL server of one test's own, which the
// test may stop and start again, to see what a client does while its
// database is down. Its methods must be called from the test's goroutine
// (or one it waits for), one at a time.
type Server struct {
	s *server
}

// NewServer starts a server for t alone: initdb in a fresh temporary
// directory, then postgres on 127.0.0.1, with password authentication over
// TCP, as the postgres system user when run as root. Its port lies outside
// the kernel's range of ephemeral ports where it can tell, so that no
// other socket is given the port while the server is stopped. The server
// is stopped and its files removed when t ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s, err := startOwn(stablePort)
	if err != nil {
		noServer(t, err, "install PostgreSQL")
	}
	t.Cleanup(s.stop)
	return &Server{s: s}
}

// Database creates an empty database on the server, runs the setup
// statements in it (each may hold several statements separated by
// semicolons) and returns its DSN, a postgres:// URL with credentials,
// which stays valid across Stop and Start. The server must be running.
// The database goes with the server when t ends.
func (srv *Server) Database(t testing.TB, setup ...string) string {
	t.Helper()
	if srv.s.cmd == nil {
		t.Fatal("pgtest: Database: the server is stopped")
	}
	return srv.s.database(t, false, setup)
}

// Stop shuts the server down the way pg_ctl stop does by default (fast
// shutdown: SIGINT; open sessions are ended, and transactions in progress
// roll back) and waits until postgres has exited. Clients then get
// connection errors. The server must be running.
func (srv *Server) Stop(t testing.TB) {
	t.Helper()
	if srv.s.cmd == nil {
		t.Fatal("pgtest: Stop: the server is not running")
	}
	srv.s.halt()
}

// Start starts the stopped server again, on the same data directory and
// port, and waits until it accepts connections: the DSNs of its databases
// work again, and the data committed before Stop is there.
func (srv *Server) Start(t testing.TB) {
	t.Helper()
	if srv.s.cmd != nil {
		t.Fatal("pgtest: Start: the server is running")
	}
	if err := srv.s.run(srv.s.port); err != nil {
		t.Fatalf("pgtest: Start: %v", err)
	}
	if err := srv.s.wait(); err != nil {
		srv.s.halt()
		t.Fatalf("pgtest: Start: %v", err)
	}
}

func inCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "0" && !strings.EqualFold(v, "false")
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// withDatabase returns dsn naming database name instead of its own.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("%s is not a valid URL", EnvDSN)
		}
		u.Path = "/" + name
		q := u.Query()
		if q.Has("dbname") {
			q.Set("dbname", name)
			u.RawQuery = q.Encode()
		}
		return u.String(), nil
	}
	// keyword=value form: a later keyword overrides an earlier one.
	return dsn + " dbname=" + name, nil
}

// start finds or starts the shared server.
func start() (*server, error) {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return &server{dsn: dsn}, nil
	}
	return startOwn(freePort)
}

// startOwn makes a new cluster in a fresh directory and starts postgres
// on a port from pickPort. Run as root, both run as the postgres system
// user (initdb refuses root).
func startOwn(pickPort func() (int, error)) (*server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	var cred *syscall.Credential
	var uid, gid int = -1, -1
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, and there is no postgres user to run PostgreSQL as: %v", err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	sweep()
	dir, err := os.MkdirTemp(baseDir(), dirPrefix)
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, postgres: filepath.Join(bin, "postgres"), data: filepath.Join(dir, "data"), cred: cred}
	fail := func(err error) (*server, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return fail(err)
	}
	if cred != nil {
		if err := os.Chown(dir, uid, gid); err != nil {
			return fail(err)
		}
	}
	password := randomHex(16)
	pwfile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwfile, []byte(password+"\n"), 0o600); err != nil {
		return fail(err)
	}
	if cred != nil {
		if err := os.Chown(pwfile, uid, gid); err != nil {
			return fail(err)
		}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", s.data, "-U", "postgres", "--pwfile", pwfile,
		"--auth-local", "trust", "--auth-host", "scram-sha-256", "-E", "UTF8", "--locale", "C", "--no-sync")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %v\n%s", err, out))
	}
	// A port picked free can be taken before postgres binds it: try again.
	for attempt := 0; ; attempt++ {
		port, err := pickPort()
		if err != nil {
			return fail(err)
		}
		err = s.run(port)
		if err == nil {
			s.dsn = fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable", password, port)
			if err = s.wait(); err == nil {
				return s, nil
			}
			s.stop()
			return nil, err
		}
		if attempt == 2 {
			return fail(err)
		}
	}
}

const (
	dirPrefix = "enact-pgtest-"
	ownerFile = "owner.pid" // the pid of the test process that made the directory
)

// sweep removes the directories of throwaway servers whose test process
// is gone (a fuzz worker is killed rather than returning from Main).
func sweep() {
	dirs, _ := filepath.Glob(filepath.Join(baseDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		if alive(filepath.Join(dir, "data", "postmaster.pid")) {
			continue
		}
		// The owner file is read once: a directory whose owner file
		// appears between two looks is being made, not abandoned.
		switch pid, ok := pidIn(filepath.Join(dir, ownerFile)); {
		case !ok:
			// No owner yet: being made right now, unless it is old.
			if fi, err := os.Stat(dir); err != nil || time.Since(fi.ModTime()) < time.Hour {
				continue
			}
		case pidAlive(pid):
			continue
		}
		os.RemoveAll(dir)
	}
}

// baseDir is where server directories go: the temporary directory, unless
// run as root and the postgres user could not reach it there.
func baseDir() string {
	dir := os.TempDir()
	if os.Geteuid() != 0 {
		return dir
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return dir
		}
	}
}

// alive reports whether the pid on the first line of file is a running
// process.
func alive(file string) bool {
	pid, ok := pidIn(file)
	return ok && pidAlive(pid)
}

// pidIn reads the pid on the first line of file.
func pidIn(file string) (int, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	return pid, err == nil && pid > 0
}

// pidAlive probes a process with signal 0.
func pidAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// binDir finds the directory of initdb and postgres: initdb on PATH, or
// the newest Debian /usr/lib/postgresql/*/bin.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if p, err = filepath.EvalSymlinks(p); err == nil {
			dir := filepath.Dir(p)
			if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
				return dir, nil
			}
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool { // newest major version first
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[j]))))
		return vi > vj
	})
	for _, m := range matches {
		dir := filepath.Dir(m)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	return "", errors.New("no initdb on PATH or in /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql)")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// stablePort returns a free port below the kernel's range of ephemeral
// ports (Linux's net.ipv4.ip_local_port_range), which the kernel never
// hands out by itself, so the port stays free while a server that owns it
// is stopped. It falls back to freePort where the range is unknown or
// leaves no room below it.
func stablePort() (int, error) {
	const lowest = 10000 // clear of the well-known and most registered services
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return freePort()
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return freePort()
	}
	first, err := strconv.Atoi(f[0])
	if err != nil || first-lowest < 1000 {
		return freePort()
	}
	for range 20 {
		var r [2]byte
		if _, err := rand.Read(r[:]); err != nil {
			return 0, err
		}
		port := lowest + (int(r[0])<<8|int(r[1]))%(first-lowest)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue // in use
		}
		l.Close()
		return port, nil
	}
	return freePort()
}

// run starts postgres on port in the foreground, as a child that gets
// SIGINT (fast shutdown) if this process dies first.
func (s *server) run(port int) error {
	if s.log == nil {
		s.log = &bytes.Buffer{}
	}
	cmd := exec.Command(s.postgres, "-D", s.data, "-p", strconv.Itoa(port), "-k", s.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300", "-c", "fsync=off",
		"-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "shared_buffers=32MB")
	cmd.Dir = s.dir
	cmd.Stdout = s.log
	cmd.Stderr = s.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Pdeathsig: syscall.SIGINT}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.cmd, s.done, s.port = cmd, done, port
	// A failed bind makes postgres exit at once.
	select {
	case <-done:
		s.cmd = nil
		return fmt.Errorf("postgres exited at start:\n%s", s.log)
	case <-time.After(300 * time.Millisecond):
		return nil
	}
}

// wait waits until the server accepts connections.
func (s *server) wait() error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := pgx.Connect(ctx, s.dsn)
		if err == nil {
			conn.Close(ctx)
			cancel()
			return nil
		}
		cancel()
		select {
		case <-s.done:
			return fmt.Errorf("postgres exited:\n%s", s.log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within a minute: %v\n%s", err, s.log)
		}
	}
}

// halt stops postgres, if it runs, with a fast shutdown (SIGINT) and
// waits until it has exited; one that does not exit within 30 seconds is
// killed.
func (s *server) halt() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// stop stops postgres and removes the server's files.
func (s *server) stop() {
	s.halt()
	if s.dir != "" {
		os.RemoveAll(s.dir)
		s.dir = ""
	}
}
