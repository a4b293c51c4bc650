// Command cmdgen writes cmdspec/redis70.json: what a redis-server 7.0
// answers to COMMAND INFO and COMMAND DOCS for every command and
// subcommand. Run it from the module root:
//
//	go run ./tools/cmdgen [-addr host:port] [-out cmdspec/redis70.json]
//
// Without -addr it starts a redis-server of its own on a free port. It
// checks that package cmdspec writes back every reply byte for byte.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/cmdspec"
)

func main() {
	addr := flag.String("addr", "", "redis-server 7.0 to read (default: start one)")
	out := flag.String("out", "cmdspec/redis70.json", "file to write")
	flag.Parse()
	if err := run(*addr, *out); err != nil {
		log.Fatal(err)
	}
}

func run(addr, out string) error {
	if addr == "" {
		a, stop, err := startRedis()
		if err != nil {
			return err
		}
		defer stop()
		addr = a
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", addr, err)
	}
	defer conn.Close()
	c := &client{conn: conn, rd: bufio.NewReader(conn)}
	if v, err := c.do("INFO", "server"); err != nil || !strings.Contains(v.str, "redis_version:7.0.") {
		return fmt.Errorf("%s is not a redis-server 7.0 (%v)", addr, err)
	}
	list, err := c.do("COMMAND", "LIST")
	if err != nil {
		return err
	}
	var cmds []*cmdspec.Command
	for _, n := range list.elems {
		cmd, err := c.command(n.str)
		if err != nil {
			return fmt.Errorf("%s: %w", n.str, err)
		}
		cmds = append(cmds, cmd)
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	var buf bytes.Buffer
	buf.WriteString("[\n")
	for i, cmd := range cmds {
		line, err := json.Marshal(cmd)
		if err != nil {
			return fmt.Errorf("encoding %s: %w", cmd.Name, err)
		}
		buf.Write(line)
		if i < len(cmds)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("]\n")
	// The file must decode to what was read.
	back, err := cmdspec.Decode(buf.Bytes())
	if err != nil {
		return err
	}
	for i := range back {
		if err := c.check(back[i]); err != nil {
			return fmt.Errorf("%s: %w", back[i].Name, err)
		}
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	log.Printf("wrote %d commands to %s", len(cmds), out)
	return nil
}

// startRedis starts redis-server on a free port.
func startRedis() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("finding a free port: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	dir, err := os.MkdirTemp("", "cmdgen-")
	if err != nil {
		return "", nil, fmt.Errorf("temp dir: %w", err)
	}
	cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("starting redis-server: %w", err)
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait(); os.RemoveAll(dir) }
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, stop, nil
		}
	}
	stop()
	return "", nil, errors.New("redis-server did not start")
}

// value is one RESP2 reply, keeping its type.
type value struct {
	kind  byte // + - : $ *
	str   string
	n     int64
	null  bool
	elems []value
}

func (v value) append(b []byte) []byte {
	switch {
	case v.null && v.kind == '*':
		return append(b, "*-1\r\n"...)
	case v.null:
		return redcon.AppendNull(b)
	}
	switch v.kind {
	case '+':
		return redcon.AppendString(b, v.str)
	case '-':
		return redcon.AppendError(b, v.str)
	case ':':
		return redcon.AppendInt(b, v.n)
	case '$':
		return redcon.AppendBulkString(b, v.str)
	}
	b = redcon.AppendArray(b, len(v.elems))
	for _, e := range v.elems {
		b = e.append(b)
	}
	return b
}

type client struct {
	conn net.Conn
	rd   *bufio.Reader
}

func (c *client) do(args ...string) (value, error) {
	var b []byte
	b = redcon.AppendArray(b, len(args))
	for _, a := range args {
		b = redcon.AppendBulkString(b, a)
	}
	if _, err := c.conn.Write(b); err != nil {
		return value{}, fmt.Errorf("sending %v: %w", args, err)
	}
	v, err := c.read()
	if err == nil && v.kind == '-' {
		err = errors.New(v.str)
	}
	if err != nil {
		return value{}, fmt.Errorf("%v: %w", args, err)
	}
	return v, nil
}

func (c *client) read() (value, error) {
	line, err := c.rd.ReadString('\n')
	if err != nil {
		return value{}, fmt.Errorf("reading reply: %w", err)
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return value{}, errors.New("empty reply line")
	}
	v := value{kind: line[0]}
	body := line[1:]
	switch v.kind {
	case '+', '-':
		v.str = body
	case ':':
		v.n, err = strconv.ParseInt(body, 10, 64)
	case '$', '*':
		var n int
		n, err = strconv.Atoi(body)
		if err != nil || n < 0 {
			v.null = true
			return v, err
		}
		if v.kind == '$' {
			buf := make([]byte, n+2)
			if _, err = io.ReadFull(c.rd, buf); err != nil {
				return v, fmt.Errorf("reading bulk: %w", err)
			}
			v.str = string(buf[:n])
			return v, nil
		}
		for range n {
			e, err := c.read()
			if err != nil {
				return v, err
			}
			v.elems = append(v.elems, e)
		}
	default:
		err = fmt.Errorf("unexpected reply %q", line)
	}
	return v, err
}
