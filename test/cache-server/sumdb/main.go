// Command sumdb serves a checksum database for the tests: golang.org/x/mod/sumdb's server and
// its in-memory tree, signed with a key generated at start. The go.sum lines of path@version
// are computed, when go first asks, from the .zip and .mod in a module proxy directory (the
// first argument), so what a tampering proxy serves does not match them. It prints its GOSUMDB
// value ("<verifier key> <URL>") on one line, then serves on 127.0.0.1 until killed.
package main

import (
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/note"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: sumdb <module proxy directory>")
	}
	dir := os.Args[1]
	// go keeps the latest signed tree of each database it trusted (in its config directory): a
	// name of its own per start keeps one run's tree from contradicting the next one's key.
	var id [6]byte
	if _, err := rand.Read(id[:]); err != nil {
		log.Fatal(err)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, fmt.Sprintf("sumdb-%x.example.test", id))
	if err != nil {
		log.Fatal(err)
	}
	gosum := func(path, version string) ([]byte, error) {
		escPath, err := module.EscapePath(path)
		if err != nil {
			return nil, err
		}
		escVersion, err := module.EscapeVersion(version)
		if err != nil {
			return nil, err
		}
		base := filepath.Join(dir, escPath, "@v", escVersion)
		zipHash, err := dirhash.HashZip(base+".zip", dirhash.Hash1)
		if err != nil {
			return nil, err
		}
		modHash, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) { return os.Open(base + ".mod") })
		if err != nil {
			return nil, err
		}
		return []byte(fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", path, version, zipHash, path, version, modHash)), nil
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s http://%s\n", vkey, listener.Addr())
	log.Fatal(http.Serve(listener, sumdb.NewServer(sumdb.NewTestServer(skey, gosum))))
}
