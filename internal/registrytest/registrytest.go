// Package registrytest starts a real OCI registry for tests: the CNCF
// distribution registry (Debian's docker-registry package, v2.8), on a
// loopback port, with filesystem storage in a directory of its own, and
// optionally htpasswd basic authentication.
package registrytest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Binary is where Debian installs the registry.
const Binary = "/usr/bin/docker-registry"

// ErrNoBinary says the registry is not installed.
var ErrNoBinary = errors.New("registrytest: " + Binary + " not found (apt-get install docker-registry)")

// Registry is one running registry. Close stops it.
type Registry struct {
	// Host is "127.0.0.1:PORT".
	Host string
	// Storage is the storage root: blobs under
	// docker/registry/v2/blobs/sha256/<2 hex>/<hex>/data.
	Storage string
	// Username and Password are the basic-auth credentials ("" without
	// auth).
	Username, Password string

	cmd  *exec.Cmd
	dir  string
	once sync.Once
	log  *os.File
}

// Options configure Start.
type Options struct {
	// Auth turns on htpasswd basic authentication with a generated user.
	Auth bool
}

// Start runs a registry in a new temporary directory and waits until it
// answers.
func Start(opts Options) (*Registry, error) {
	if _, err := os.Stat(Binary); err != nil {
		return nil, ErrNoBinary
	}
	dir, err := os.MkdirTemp("", "enact-registry-")
	if err != nil {
		return nil, err
	}
	r := &Registry{dir: dir, Storage: filepath.Join(dir, "storage")}
	fail := func(err error) (*Registry, error) {
		r.Close()
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return fail(err)
	}
	r.Host = fmt.Sprintf("127.0.0.1:%d", port)
	auth := ""
	if opts.Auth {
		r.Username, r.Password = "enact", fmt.Sprintf("pw-%d", time.Now().UnixNano())
		hash, err := bcrypt.GenerateFromPassword([]byte(r.Password), bcrypt.MinCost)
		if err != nil {
			return fail(err)
		}
		pw := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(pw, []byte(r.Username+":"+string(hash)+"\n"), 0o600); err != nil {
			return fail(err)
		}
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: enact-test\n    path: %s\n", pw)
	}
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
%s`, r.Storage, r.Host, auth)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return fail(err)
	}
	if r.log, err = os.Create(filepath.Join(dir, "registry.log")); err != nil {
		return fail(err)
	}
	r.cmd = exec.Command(Binary, "serve", cfgPath)
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	if err := r.cmd.Start(); err != nil {
		return fail(err)
	}
	done := make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + r.Host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return r, nil
			}
		}
		select {
		case <-done:
			log, _ := os.ReadFile(r.log.Name())
			r.cmd = nil
			return fail(fmt.Errorf("registrytest: the registry exited: %s", strings.TrimSpace(string(log))))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fail(errors.New("registrytest: the registry did not answer within 20s"))
		}
	}
}

// Close stops the registry and removes its directory.
func (r *Registry) Close() {
	r.once.Do(func() {
		if r.cmd != nil && r.cmd.Process != nil {
			_ = r.cmd.Process.Kill()
		}
		if r.log != nil {
			r.log.Close()
		}
		_ = os.RemoveAll(r.dir)
	})
}

// BlobPath is the file holding a blob's bytes in the storage.
func (r *Registry) BlobPath(digest string) string {
	hex := strings.TrimPrefix(digest, "sha256:")
	return filepath.Join(r.Storage, "docker", "registry", "v2", "blobs", "sha256", hex[:2], hex, "data")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
