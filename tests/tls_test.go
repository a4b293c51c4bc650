package tests

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/titan-kv/titan/tlsconf/tlsconftest"
)

// TestTLS: redis-cli over TLS on --tls-port answers PONG (issue 18 item
// 6), with and without client certificates required; the plain port keeps
// working and the status port serves HTTPS with --status-tls.
func TestTLS(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli not installed")
	}
	certs := tlsconftest.Write(t, t.TempDir(), "titan")
	_, port, _ := net.SplitHostPort(freeAddr(t))
	ti := startTitan(t, "--tls-port", port, "--tls-cert-file", certs.ServerCert, "--tls-key-file", certs.ServerKey,
		"--tls-ca-cert-file", certs.CA, "--tls-auth-clients", "optional", "--status-tls")
	waitPort(t, port)
	cli := func(args ...string) (string, error) {
		out, err := exec.Command("redis-cli", append([]string{"-h", "127.0.0.1", "-p", port, "--tls", "--cacert", certs.CA}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := cli("PING"); err != nil || out != "PONG" {
		t.Fatalf("redis-cli --tls PING: %q, %v", out, err)
	}
	if out, err := cli("--cert", certs.ClientCert, "--key", certs.ClientKey, "SET", "k", "v"); err != nil || out != "OK" {
		t.Fatalf("redis-cli --tls with a client certificate: %q, %v", out, err)
	}
	if v, err := ti.Client().Get(t.Context(), "k").Result(); err != nil || v != "v" {
		t.Fatalf("plain port GET: %q, %v", v, err)
	}
	// A plain-text client on the TLS port gets nothing useful.
	if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", port)); err == nil {
		c.Write([]byte("PING\r\n"))
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		b, _ := io.ReadAll(c)
		if strings.Contains(string(b), "PONG") {
			t.Fatal("the TLS port answered plain text")
		}
		c.Close()
	}
	// The status port over TLS.
	pem, err := os.ReadFile(certs.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get("https://" + ti.StatusAddr + "/healthz")
	if err != nil {
		t.Fatalf("https /healthz: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "ok" {
		t.Fatalf("https /healthz = %d %q", resp.StatusCode, body)
	}
}

// TestTLSRequiresClientCert: with tls-auth-clients yes (the default), a
// client without a certificate is refused and one with it is served.
func TestTLSRequiresClientCert(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli not installed")
	}
	certs := tlsconftest.Write(t, t.TempDir(), "titan")
	_, port, _ := net.SplitHostPort(freeAddr(t))
	startTitan(t, "--tls-port", port, "--tls-cert-file", certs.ServerCert, "--tls-key-file", certs.ServerKey, "--tls-ca-cert-file", certs.CA)
	waitPort(t, port)
	base := []string{"-h", "127.0.0.1", "-p", port, "--tls", "--cacert", certs.CA}
	if out, err := exec.Command("redis-cli", append(base, "PING")...).CombinedOutput(); err == nil && strings.TrimSpace(string(out)) == "PONG" {
		t.Fatal("served a TLS client without a certificate")
	}
	out, err := exec.Command("redis-cli", append(base, "--cert", certs.ClientCert, "--key", certs.ClientKey, "PING")...).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "PONG" {
		t.Fatalf("with a client certificate: %q, %v", out, err)
	}
}

// waitPort waits until something listens on port of 127.0.0.1: the TLS
// port opens after the plain one, which startTitan waits for.
func waitPort(t *testing.T, port string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", port)); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("nothing listens on port %s", port)
}
