// Package tlsconf builds the TLS configuration titan serves with, from
// Redis's options (tls-cert-file, tls-key-file, tls-ca-cert-file,
// tls-auth-clients), and reloads the certificate files when they change,
// without a restart.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Files are the TLS options of a server.
type Files struct {
	// Cert and Key are the server's certificate and private key (PEM).
	Cert, Key string
	// CA holds the certificates client certificates are checked against
	// (PEM); needed unless AuthClients is "no".
	CA string
	// AuthClients is Redis's tls-auth-clients: "yes" (the default)
	// requires a client certificate, "optional" checks one if given,
	// "no" asks for none.
	AuthClients string
}

// Server returns a TLS configuration for files. The files are read now
// (a bad file is an error) and read again, on the next handshake, after
// any of them changed on disk; a change that does not load is logged and
// the previous certificates stay in use.
func Server(f Files) (*tls.Config, error) {
	auth, err := clientAuth(f.AuthClients)
	if err != nil {
		return nil, err
	}
	if auth != tls.NoClientCert && f.CA == "" {
		return nil, errors.New("tls-ca-cert-file is needed to check client certificates (or tls-auth-clients no)")
	}
	r := &reloader{files: f, auth: auth}
	if err := r.load(); err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return r.config(), nil },
	}, nil
}

func clientAuth(s string) (tls.ClientAuthType, error) {
	switch s {
	case "", "yes":
		return tls.RequireAndVerifyClientCert, nil
	case "optional":
		return tls.VerifyClientCertIfGiven, nil
	case "no":
		return tls.NoClientCert, nil
	}
	return 0, fmt.Errorf("tls-auth-clients %q: want yes, no or optional", s)
}

// reloader holds the loaded configuration and the files' state it was
// loaded from.
type reloader struct {
	files Files
	auth  tls.ClientAuthType

	mu      sync.Mutex
	cfg     *tls.Config
	stamp   string
	checked time.Time
}

// stamp describes the files' modification times and sizes.
func (r *reloader) fileStamp() string {
	var s string
	for _, p := range []string{r.files.Cert, r.files.Key, r.files.CA} {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil {
			s += fmt.Sprintf("%s:%d:%d;", p, fi.ModTime().UnixNano(), fi.Size())
		}
	}
	return s
}

func (r *reloader) load() error {
	stamp := r.fileStamp()
	cert, err := tls.LoadX509KeyPair(r.files.Cert, r.files.Key)
	if err != nil {
		return fmt.Errorf("tls-cert-file/tls-key-file: %w", err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, ClientAuth: r.auth}
	if r.files.CA != "" {
		pem, err := os.ReadFile(r.files.CA)
		if err != nil {
			return fmt.Errorf("tls-ca-cert-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("tls-ca-cert-file %s: no certificate in it", r.files.CA)
		}
		cfg.ClientCAs = pool
	}
	r.mu.Lock()
	r.cfg, r.stamp = cfg, stamp
	r.mu.Unlock()
	return nil
}

// checkEvery bounds how often the files are looked at.
const checkEvery = time.Second

// config returns the current configuration, reloading the files first
// when they changed.
func (r *reloader) config() *tls.Config {
	r.mu.Lock()
	stale := time.Since(r.checked) >= checkEvery
	if stale {
		r.checked = time.Now()
	}
	cfg, stamp := r.cfg, r.stamp
	r.mu.Unlock()
	if stale && r.fileStamp() != stamp {
		if err := r.load(); err != nil {
			slog.Error("TLS files changed but do not load; keeping the previous ones", "err", err)
		} else {
			slog.Info("TLS certificates reloaded")
		}
		r.mu.Lock()
		cfg = r.cfg
		r.mu.Unlock()
	}
	return cfg
}
