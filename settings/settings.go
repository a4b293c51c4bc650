// Package settings is the registry of titan's runtime parameters, as
// CONFIG GET, CONFIG SET and CONFIG REWRITE see them. Each part of titan
// registers the parameters it owns (the command engine its timeouts and
// limits, the slow log its thresholds, the bus notify-keyspace-events...)
// with a getter, a setter that applies the value at once, and a function
// that writes the value back into the TOML configuration. Redis's
// parameters that titan does not use are registered as Fixed: they answer
// what titan's behaviour is (maxmemory 0, appendonly no) and refuse
// changes.
//
// A change applies to the instance that ran CONFIG SET only; other
// instances over the same store keep their own values (CONFIG REWRITE
// followed by a rolling restart, or CONFIG SET on each instance, changes
// them all).
package settings

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"

	"github.com/titan-kv/titan/atomicfile"
	"github.com/titan-kv/titan/conf"
	"github.com/titan-kv/titan/glob"
)

// Param is one runtime parameter.
type Param struct {
	// Name is the parameter's name as CONFIG GET reports it (lower case).
	Name string
	// Aliases are other names CONFIG GET and SET accept (Redis's
	// slaveof/replicaof pairs).
	Aliases []string
	// Get returns the current value as CONFIG GET prints it.
	Get func() string
	// Set validates v and applies it at once. Its error text is what
	// follows "CONFIG SET failed (possibly related to argument 'x') - ".
	// Nil makes the parameter immutable.
	Set func(v string) error
	// Immutable is the reason CONFIG SET gives when Set is nil; empty means
	// Redis's "can't set immutable config".
	Immutable string
	// Save writes the current value into c for CONFIG REWRITE; nil when
	// the parameter has no place in the TOML file.
	Save func(c *conf.Config)
	// Fixed marks a placeholder for a Redis parameter titan does not
	// implement: a later Register of the same name replaces it.
	Fixed bool
}

// Registry holds the parameters of one instance.
type Registry struct {
	mu     sync.Mutex // serialises CONFIG SET and REWRITE
	params map[string]*Param
	names  map[string]*Param // every name and alias, lower case
	base   conf.Config
}

// New returns an empty registry. base is the configuration the instance
// started with; base.File is the file CONFIG REWRITE writes.
func New(base conf.Config) *Registry {
	return &Registry{params: map[string]*Param{}, names: map[string]*Param{}, base: base}
}

// Register adds parameters. A name registered twice is a bug (it panics),
// unless the earlier one was Fixed.
func (r *Registry) Register(ps ...Param) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range ps {
		p := p
		if p.Get == nil {
			panic("settings: parameter " + p.Name + " without Get")
		}
		for _, n := range append([]string{p.Name}, p.Aliases...) {
			n = strings.ToLower(n)
			if old, ok := r.names[n]; ok {
				if !old.Fixed {
					panic("settings: parameter " + n + " registered twice")
				}
				r.drop(old)
			}
		}
		r.params[p.Name] = &p
		for _, n := range append([]string{p.Name}, p.Aliases...) {
			r.names[strings.ToLower(n)] = &p
		}
	}
}

func (r *Registry) drop(p *Param) {
	delete(r.params, p.Name)
	for _, n := range append([]string{p.Name}, p.Aliases...) {
		delete(r.names, strings.ToLower(n))
	}
}

// File is the configuration file CONFIG REWRITE writes; empty when titan
// started without one.
func (r *Registry) File() string { return r.base.File }

// Lookup returns the parameter of a name or alias (any case).
func (r *Registry) Lookup(name string) (*Param, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.names[strings.ToLower(name)]
	return p, ok
}

// Get answers CONFIG GET: for each argument, a plain name (any case) is
// answered under the name as given, a glob pattern under the names it
// matches; each parameter once, in name order for patterns.
func (r *Registry) Get(args []string) (names, values []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	byName := r.names
	all := make([]string, 0, len(byName))
	for n := range byName {
		all = append(all, n)
	}
	sort.Strings(all)
	seen := map[string]bool{}
	add := func(n string, p *Param) {
		if seen[strings.ToLower(n)] {
			return
		}
		seen[strings.ToLower(n)] = true
		names = append(names, n)
		values = append(values, p.Get())
	}
	for _, a := range args {
		if !strings.ContainsAny(a, "[*?") {
			if p, ok := byName[strings.ToLower(a)]; ok {
				add(a, p)
			}
			continue
		}
		for _, n := range all {
			if glob.Match([]byte(a), []byte(n), true) {
				add(n, byName[n])
			}
		}
	}
	return names, values
}

// Error is a CONFIG SET or REWRITE failure, with Redis's text.
type Error string

func (e Error) Error() string { return string(e) }

// Set answers CONFIG SET name value [name value ...] as Redis 7 does:
// every name is checked first (unknown, immutable, given twice), then the
// values are applied in order; if one fails, those applied before it get
// their old values back, so the change is all or nothing.
func (r *Registry) Set(pairs []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	ps := make([]*Param, len(pairs)/2)
	for i := range ps {
		name := pairs[2*i]
		p, ok := r.names[strings.ToLower(name)]
		if !ok {
			return Error(fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", name))
		}
		if p.Set == nil {
			why := p.Immutable
			if why == "" {
				why = "can't set immutable config"
			}
			return failed(name, why)
		}
		for _, q := range ps[:i] {
			if q == p {
				return failed(name, "duplicate parameter")
			}
		}
		ps[i] = p
	}
	old := make([]string, len(ps))
	for i, p := range ps {
		old[i] = p.Get()
		if err := p.Set(pairs[2*i+1]); err != nil {
			for j := i - 1; j >= 0; j-- {
				_ = ps[j].Set(old[j])
			}
			return failed(pairs[2*i], err.Error())
		}
	}
	return nil
}

func failed(name, why string) error {
	return Error(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", name, why))
}

// ErrNoConfigFile is REWRITE's answer when titan started without --config.
var ErrNoConfigFile = Error("ERR The server is running without a config file")

// Rewrite answers CONFIG REWRITE: the configuration the instance started
// with, updated with every parameter's current value, is written to the
// configuration file (through a temporary file and a rename, so a crash
// leaves the old or the new file). Comments of the old file are lost.
func (r *Registry) Rewrite() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.base.File == "" {
		return ErrNoConfigFile
	}
	c := r.base
	for _, p := range r.params {
		if p.Save != nil {
			p.Save(&c)
		}
	}
	var buf bytes.Buffer
	buf.WriteString("# Written by CONFIG REWRITE.\n")
	if err := toml.NewEncoder(&buf).Encode(c); err != nil {
		return Error("ERR Rewriting config file: " + err.Error())
	}
	if err := atomicfile.Write(r.base.File, buf.Bytes()); err != nil {
		return Error("ERR Rewriting config file: " + pathless(err))
	}
	r.base = c
	return nil
}

// pathless keeps the reason of a file error and drops the path, which a
// client has no business seeing.
func pathless(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	return "I/O error"
}

// Fixed is a Redis parameter titan does not use: CONFIG GET answers value
// (what titan's behaviour amounts to), CONFIG SET refuses with why.
func Fixed(name, value, why string) Param {
	return Param{Name: name, Get: func() string { return value }, Immutable: why, Fixed: true}
}

// Int is an integer parameter with Redis's range checks and error texts.
// set applies a valid value.
func Int(name string, lo, hi int64, get func() int64, set func(int64)) Param {
	return Param{
		Name: name,
		Get:  func() string { return strconv.FormatInt(get(), 10) },
		Set: func(v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return errors.New("argument couldn't be parsed into an integer")
			}
			if n < lo || n > hi {
				return fmt.Errorf("argument must be between %d and %d inclusive", lo, hi)
			}
			set(n)
			return nil
		},
	}
}

// Bool is a yes/no parameter.
func Bool(name string, get func() bool, set func(bool)) Param {
	return Param{
		Name: name,
		Get: func() string {
			if get() {
				return "yes"
			}
			return "no"
		},
		Set: func(v string) error {
			switch strings.ToLower(v) {
			case "yes":
				set(true)
			case "no":
				set(false)
			default:
				return errors.New("argument must be 'yes' or 'no'")
			}
			return nil
		},
	}
}

// Enum is a parameter taking one of values (any case).
func Enum(name string, values []string, get func() string, set func(string)) Param {
	return Param{
		Name: name,
		Get:  get,
		Set: func(v string) error {
			for _, ok := range values {
				if strings.EqualFold(v, ok) {
					set(ok)
					return nil
				}
			}
			return fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(values, ", "))
		},
	}
}

// String is a free-form string parameter.
func String(name string, get func() string, set func(string)) Param {
	return Param{Name: name, Get: get, Set: func(v string) error { set(v); return nil }}
}
