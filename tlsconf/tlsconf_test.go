package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
	"time"

	"github.com/titan-kv/titan/tlsconf/tlsconftest"
)

// serve accepts TLS connections on a loopback port, completing each
// handshake, until the test ends.
func serve(t *testing.T, cfg *tls.Config) string {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	return ln.Addr().String()
}

func peerCN(t *testing.T, addr string, ca string, cert *tls.Certificate) (string, error) {
	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost"}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		return "", err
	}
	defer c.Close()
	// With TLS 1.3 a refused client certificate shows on the first read.
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	var b [1]byte
	if _, err := c.Read(b[:]); err != nil && !isEOF(err) {
		return "", err
	}
	return c.ConnectionState().PeerCertificates[0].Subject.CommonName, nil
}

func isEOF(err error) bool { return err.Error() == "EOF" }

// TestReloadWithoutRestart: replaced certificate files are served on the
// next handshake; client certificates are required by default.
func TestReloadWithoutRestart(t *testing.T) {
	dir := t.TempDir()
	certs := tlsconftest.Write(t, dir, "first")
	cfg, err := Server(Files{Cert: certs.ServerCert, Key: certs.ServerKey, CA: certs.CA})
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, cfg)
	client, err := tls.LoadX509KeyPair(certs.ClientCert, certs.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := peerCN(t, addr, certs.CA, nil); err == nil {
		t.Fatal("handshake without a client certificate succeeded (tls-auth-clients yes)")
	}
	if cn, err := peerCN(t, addr, certs.CA, &client); err != nil || cn != "first" {
		t.Fatalf("first certificate: %q, %v", cn, err)
	}
	time.Sleep(checkEvery + 100*time.Millisecond)
	certs = tlsconftest.Write(t, dir, "second")
	client, _ = tls.LoadX509KeyPair(certs.ClientCert, certs.ClientKey)
	// The first handshake after the change may still see the old files
	// if it comes within checkEvery of the last check.
	var cn string
	for deadline := time.Now().Add(3 * checkEvery); time.Now().Before(deadline) && cn != "second"; time.Sleep(100 * time.Millisecond) {
		cn, err = peerCN(t, addr, certs.CA, &client)
	}
	if cn != "second" {
		t.Fatalf("after replacing the files: %q, %v", cn, err)
	}
}

func TestBadOptions(t *testing.T) {
	certs := tlsconftest.Write(t, t.TempDir(), "x")
	for _, f := range []Files{
		{Cert: certs.ServerCert, Key: certs.ServerKey, AuthClients: "maybe"},
		{Cert: certs.ServerCert, Key: certs.ServerKey}, // yes without a CA
		{Cert: certs.ServerCert, Key: certs.CA, AuthClients: "no"},
	} {
		if _, err := Server(f); err == nil {
			t.Errorf("%+v accepted", f)
		}
	}
	if _, err := Server(Files{Cert: certs.ServerCert, Key: certs.ServerKey, AuthClients: "no"}); err != nil {
		t.Error(err)
	}
}
