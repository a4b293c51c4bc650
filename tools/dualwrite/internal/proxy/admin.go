package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// AdminHandler serves the proxy's status endpoints:
//
//	GET  /metrics                  Prometheus metrics
//	GET  /read-from                current read side
//	POST /read-from?side=titan     switch reads (side=redis|titan)
//	GET  /status                   JSON status
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
			"backfill_active": p.backfill.Load(),
			"repair_queue":    p.repair.len(),
			"titan_up":        p.breaker.allow(),
		})
	})
	return mux
}
