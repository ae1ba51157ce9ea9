// Command cache-server runs act's implementation of the GitHub Actions cache
// service (the v1 protocol) on loopback, so tests exercise @actions/cache
// against a real server instead of a mock.
//
//	cache-server serve DIR   prints the base URL for ACTIONS_CACHE_URL, serves until stdin closes
//	cache-server list DIR    prints the committed entries as JSON lines
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/nektos/act/pkg/artifactcache"
	"github.com/timshannon/bolthold"
	"go.etcd.io/bbolt"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: cache-server serve|list DIR")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2])
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

func serve(dir string) error {
	handler, err := artifactcache.StartHandler(dir, "", "127.0.0.1", 0, nil)
	if err != nil {
		return err
	}
	defer handler.Close()
	fmt.Println(handler.ExternalURL() + "/")
	// The parent owns the lifetime: when it closes stdin (or dies), stop.
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
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
