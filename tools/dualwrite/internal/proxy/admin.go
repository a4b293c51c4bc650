package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// AdminHandler serves the proxy's status endpoints:
//
//	GET  /metrics                  Prometheus metrics
//	GET  /read-from                current read side
//	POST /read-from?side=titan     switch reads (side=redis|titan)
//	GET  /status                   JSON status
//	POST /cutover?reverse=1&timeout=60s&max_pause=2s
//	                               make titan the primary (see Cutover)
func (p *Proxy) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", p.m.Handler())
	mux.HandleFunc("GET /read-from", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, p.ReadSide())
	})
	mux.HandleFunc("POST /read-from", func(w http.ResponseWriter, r *http.Request) {
		if err := p.SetReadSide(r.URL.Query().Get("side")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintln(w, p.ReadSide())
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"read_from":       p.ReadSide(),
			"titan_primary":   p.titanPrimary.Load(),
			"reverse_writes":  p.reverse.Load(),
			"backfill_active": p.backfill.Load(),
			"apply_queue":     p.ApplyQueueLen(),
			"repair_queue":    p.repair.len(),
			"titan_up":        p.breaker.allow(),
		})
	})
	mux.HandleFunc("POST /cutover", func(w http.ResponseWriter, r *http.Request) {
		timeout := time.Minute
		if s := r.URL.Query().Get("timeout"); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil {
				http.Error(w, "timeout: "+err.Error(), http.StatusBadRequest)
				return
			}
			timeout = d
		}
		maxPause := 2 * time.Second
		if s := r.URL.Query().Get("max_pause"); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil {
				http.Error(w, "max_pause: "+err.Error(), http.StatusBadRequest)
				return
			}
			maxPause = d
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		rep, err := p.Cutover(ctx, r.URL.Query().Get("reverse") == "1", maxPause)
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusConflict)
			rep.Message += ": " + err.Error()
		}
		_ = json.NewEncoder(w).Encode(rep)
	})
	return mux
}

// RequestCutover asks the proxy whose admin endpoints listen on addr to
// cut over (see Cutover) and returns its report.
func RequestCutover(ctx context.Context, client *http.Client, addr string, reverse bool, timeout, maxPause time.Duration) (CutoverReport, error) {
	q := url.Values{"timeout": {timeout.String()}, "max_pause": {maxPause.String()}}
	if reverse {
		q.Set("reverse", "1")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/cutover?"+q.Encode(), nil)
	if err != nil {
		return CutoverReport{}, err
	}
	res, err := client.Do(req)
	if err != nil {
		return CutoverReport{}, fmt.Errorf("cutover request: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var rep CutoverReport
	if err := json.Unmarshal(body, &rep); err != nil {
		return rep, fmt.Errorf("cutover reply %q: %w", body, err)
	}
	if !rep.Done {
		return rep, fmt.Errorf("%s", rep.Message)
	}
	return rep, nil
}
