// Command modpath answers questions about module paths, versions and the URLs go reads, with
// go's own code (golang.org/x/mod's module, semver and sumdb/tlog; net/url), so that the
// action's rules can be checked against go's. One question a line on stdin, as JSON
// {"op": …, "arg": …}; one answer a line on stdout, {"ok": …, "out": …}, in the same order. It
// answers many questions in one process: the property tests ask thousands.
package main

import (
	"archive/zip"
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/tlog"
	modzip "golang.org/x/mod/zip"
)

type question struct {
	Op  string `json:"op"`
	Arg string `json:"arg"`
}

type answer struct {
	OK  bool   `json:"ok"`
	Out string `json:"out,omitempty"`
}

func ask(q question) answer {
	switch q.Op {
	case "checkPath":
		return answer{OK: module.CheckPath(q.Arg) == nil}
	case "escapePath":
		out, err := module.EscapePath(q.Arg)
		return answer{OK: err == nil, Out: out}
	case "unescapePath":
		out, err := module.UnescapePath(q.Arg)
		return answer{OK: err == nil, Out: out}
	case "escapeVersion":
		out, err := module.EscapeVersion(q.Arg)
		return answer{OK: err == nil, Out: out}
	case "unescapeVersion":
		out, err := module.UnescapeVersion(q.Arg)
		return answer{OK: err == nil, Out: out}
	case "canonicalVersion":
		return answer{OK: q.Arg != "" && module.CanonicalVersion(q.Arg) == q.Arg}
	case "checkZip":
		// Whether go would extract a zip of example.com/m@v1.0.0 holding these entries (arg: a JSON
		// array of [whole name, prefix included; size]), as its Unzip checks it before writing anything.
		var entries []zipEntry
		var pairs [][2]json.RawMessage
		if err := json.Unmarshal([]byte(q.Arg), &pairs); err != nil {
			return answer{Out: "bad entries: " + err.Error()}
		}
		for _, pair := range pairs {
			var e zipEntry
			if json.Unmarshal(pair[0], &e.Name) != nil || json.Unmarshal(pair[1], &e.Size) != nil {
				return answer{Out: "bad entry"}
			}
			entries = append(entries, e)
		}
		ok, why := checkZip(entries)
		return answer{OK: ok, Out: why}
	case "unzip":
		// What go's Unzip writes into the module cache from the zip at arg (a module
		// example.com/m@v1.0.0): out is dirhash's h1: of the tree it wrote, when it wrote one.
		h, err := unzip(q.Arg)
		if err != nil {
			return answer{Out: err.Error()}
		}
		return answer{OK: true, Out: h}
	case "unzipTree":
		// As unzip, out the JSON array of [path, sha256 hex, mode in octal] of each file and
		// directory Unzip wrote (a directory's sha256 empty), sorted by path.
		tree, err := unzipTree(q.Arg)
		if err != nil {
			return answer{Out: err.Error()}
		}
		return answer{OK: true, Out: tree}
	case "hashZip":
		// dirhash.HashZip of the zip at arg: how go hashes a zip it downloads.
		h, err := dirhash.HashZip(q.Arg, dirhash.Hash1)
		if err != nil {
			return answer{Out: err.Error()}
		}
		return answer{OK: true, Out: h}
	case "zipNames":
		// The names of the entries go's archive/zip reads from the zip at arg, in order: a JSON array.
		z, err := zip.OpenReader(q.Arg)
		if err != nil {
			return answer{Out: err.Error()}
		}
		defer z.Close()
		names := []string{}
		for _, f := range z.File {
			names = append(names, f.Name)
		}
		out, _ := json.Marshal(names)
		return answer{OK: true, Out: string(out)}
	case "tilePath":
		_, err := tlog.ParseTilePath(q.Arg)
		return answer{OK: err == nil}
	case "matchPrefixPatterns":
		// GOPRIVATE, GONOPROXY and GONOSUMDB as go matches them: arg is the JSON array [patterns, module path].
		var pair [2]string
		if err := json.Unmarshal([]byte(q.Arg), &pair); err != nil {
			return answer{Out: "bad pair: " + err.Error()}
		}
		return answer{OK: module.MatchPrefixPatterns(pair[0], pair[1])}
	case "userinfo":
		// How go reads a GOPROXY entry's credentials: user and password, decoded, and the host they go to.
		u, err := url.Parse(q.Arg)
		if err != nil {
			return answer{}
		}
		password, _ := u.User.Password()
		out, _ := json.Marshal([]string{u.User.Username(), password, u.Host})
		return answer{OK: true, Out: string(out)}
	case "userinfoString":
		// How go prints credentials: arg is the JSON array [user, password]; out is the JSON array of
		// url.UserPassword(user, password).String(), url.User(user).String(), and the Redacted() of
		// https://user:password@h, which keeps the user name.
		var pair [2]string
		if err := json.Unmarshal([]byte(q.Arg), &pair); err != nil {
			return answer{Out: "bad pair: " + err.Error()}
		}
		redacted := (&url.URL{Scheme: "https", User: url.UserPassword(pair[0], pair[1]), Host: "h"}).Redacted()
		out, _ := json.Marshal([]string{url.UserPassword(pair[0], pair[1]).String(), url.User(pair[0]).String(), redacted})
		return answer{OK: true, Out: string(out)}
	}
	return answer{Out: "unknown op " + q.Op}
}

// zipEntry is an entry of a zip made for CheckZip: its name and the size its directory declares.
type zipEntry struct {
	Name string
	Size uint64
}

func checkZip(entries []zipEntry) (bool, string) {
	f, err := os.CreateTemp("", "checkzip-*.zip")
	if err != nil {
		return false, err.Error()
	}
	defer os.Remove(f.Name())
	defer f.Close()
	w := zip.NewWriter(f)
	for _, e := range entries {
		// CheckZip reads each entry's size from the directory, never its data: a size is only declared.
		if _, err := w.CreateRaw(&zip.FileHeader{Name: e.Name, Method: zip.Store, UncompressedSize64: e.Size}); err != nil {
			return false, err.Error()
		}
	}
	if err := w.Close(); err != nil {
		return false, err.Error()
	}
	if _, err := modzip.CheckZip(module.Version{Path: "example.com/m", Version: "v1.0.0"}, f.Name()); err != nil {
		return false, err.Error()
	}
	return true, ""
}

// unzipped runs go's Unzip of the zip at zipFile (a module example.com/m@v1.0.0) into a
// temporary directory, and answers what read says of the tree it wrote.
func unzipped(zipFile string, read func(tree string) (string, error)) (string, error) {
	dir, err := os.MkdirTemp("", "unzip-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	tree := filepath.Join(dir, "m")
	if err := modzip.Unzip(tree, module.Version{Path: "example.com/m", Version: "v1.0.0"}, zipFile); err != nil {
		return "", err
	}
	return read(tree)
}

func unzip(zipFile string) (string, error) {
	return unzipped(zipFile, func(tree string) (string, error) {
		return dirhash.HashDir(tree, "example.com/m@v1.0.0", dirhash.Hash1)
	})
}

func unzipTree(zipFile string) (string, error) {
	return unzipped(zipFile, listTree)
}

// listTree lists a tree's files and directories: path, sha256 (files only) and mode.
func listTree(tree string) (string, error) {
	listing := [][3]string{}
	err := filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == tree {
			return err
		}
		rel, _ := filepath.Rel(tree, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		sum := ""
		if !d.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum = fmt.Sprintf("%x", sha256.Sum256(data))
		}
		listing = append(listing, [3]string{filepath.ToSlash(rel), sum, fmt.Sprintf("%o", info.Mode().Perm())})
		return nil
	})
	if err != nil {
		return "", err
	}
	out, err := json.Marshal(listing)
	return string(out), err
}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriter(os.Stdout)
	encoder := json.NewEncoder(out)
	for {
		line, err := in.ReadBytes('\n')
		if err != nil {
			out.Flush()
			return
		}
		var q question
		if err := json.Unmarshal(line, &q); err != nil {
			encoder.Encode(answer{Out: "bad question: " + err.Error()})
		} else {
			encoder.Encode(ask(q))
		}
		// Answers go out before the next read would wait: one write per batch of questions.
		if in.Buffered() == 0 {
			out.Flush()
		}
	}
}
