// Command cache-server runs act's implementation of the GitHub Actions cache
// service (the v1 protocol) on loopback, so tests exercise @actions/cache
// against a real server instead of a mock.
//
//	cache-server serve DIR [DENY]  prints the base URL for ACTIONS_CACHE_URL, serves until stdin closes
//	cache-server list DIR          prints the committed entries as JSON lines
//
// DENY (read-denied, write-denied) answers as the service does for a run whose token has no
// readable cache scopes, or was made read-only: a 403 whose message starts with the prefix
// @actions/cache tells a policy refusal by, for every lookup or every reservation; act's
// handler serves the rest.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	neturl "net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/nektos/act/pkg/artifactcache"
	"github.com/timshannon/bolthold"
	"go.etcd.io/bbolt"
)

func main() {
	if len(os.Args) < 3 || len(os.Args) > 4 {
		fmt.Fprintln(os.Stderr, "usage: cache-server serve DIR [read-denied|write-denied] | list DIR")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2], os.Args[3:])
	case "list":
		err = list(os.Args[2])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cache-server:", err)
		os.Exit(1)
	}
}

func serve(dir string, deny []string) error {
	handler, err := artifactcache.StartHandler(dir, "", "127.0.0.1", 0, nil)
	if err != nil {
		return err
	}
	defer handler.Close()
	url := handler.ExternalURL()
	if len(deny) == 1 {
		if url, err = denying(url, deny[0]); err != nil {
			return err
		}
	}
	fmt.Println(url + "/")
	// The parent owns the lifetime: when it closes stdin (or dies), stop.
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// denying starts a front for the handler at upstream that refuses what deny names, and returns its URL.
func denying(upstream, deny string) (string, error) {
	routes := map[string]struct{ method, path, message string }{
		"read-denied":  {"GET", "/_apis/artifactcache/cache", "cache read denied: the token for this run has no readable cache scopes"},
		"write-denied": {"POST", "/_apis/artifactcache/caches", "cache write denied: the token for this run is read-only"},
	}
	route, ok := routes[deny]
	if !ok {
		return "", fmt.Errorf("unknown refusal %q", deny)
	}
	target, err := neturl.Parse(upstream)
	if err != nil {
		return "", err
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go http.Serve(listener, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == route.method && r.URL.Path == route.path {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": route.message})
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	return "http://" + listener.Addr().String(), nil
}

func list(dir string) error {
	store, err := bolthold.Open(filepath.Join(dir, "bolt.db"), 0o644, &bolthold.Options{
		Encoder: json.Marshal,
		Decoder: json.Unmarshal,
		Options: &bbolt.Options{Timeout: 5 * time.Second, ReadOnly: true},
	})
	if err != nil {
		return err
	}
	defer store.Close()
	var entries []artifactcache.Cache
	if err := store.Find(&entries, bolthold.Where("Complete").Eq(true)); err != nil {
		return err
	}
	out := json.NewEncoder(os.Stdout)
	for _, entry := range entries {
		if err := out.Encode(entry); err != nil {
			return err
		}
	}
	return nil
}
