// Command forwardproxy is the tests' corporate forward proxy, for machines without squid: http
// requests in absolute form are relayed, https goes through CONNECT tunnels, names resolve only
// through its own hosts file (a request that bypasses it cannot reach a test name), Basic
// credentials are required when given (407 without them), and every request is logged as
// `METHOD target STATUS` in the log file. It prints its URL on one line, then serves on
// 127.0.0.1 until killed.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

type proxy struct {
	hosts     map[string]string
	wantAuth  string
	logMu     sync.Mutex
	logFile   *os.File
	transport *http.Transport
}

func main() {
	hostsFile := flag.String("hosts", "", "file of `address name…` lines: the only names it resolves")
	user := flag.String("user", "", "Basic credentials required of every client (with -password)")
	password := flag.String("password", "", "")
	logPath := flag.String("log", "", "file every request is logged to")
	flag.Parse()

	p := &proxy{hosts: readHosts(*hostsFile)}
	if *user != "" {
		p.wantAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte(*user+":"+*password))
	}
	logFile, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		log.Fatal(err)
	}
	p.logFile = logFile
	p.transport = &http.Transport{DialContext: p.dial, DisableCompression: true}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s\n", listener.Addr())
	log.Fatal(http.Serve(listener, p))
}

func readHosts(file string) map[string]string {
	hosts := map[string]string{}
	f, err := os.Open(file)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		for _, name := range fields[min(1, len(fields)):] {
			hosts[strings.ToLower(name)] = fields[0]
		}
	}
	return hosts
}

// dial connects to host:port, the host resolved through the hosts file alone (addresses pass as they are).
func (p *proxy) dial(ctx context.Context, network, hostPort string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return nil, err
	}
	if net.ParseIP(host) == nil {
		address, ok := p.hosts[strings.ToLower(host)]
		if !ok {
			return nil, fmt.Errorf("%s is not in the hosts file", host)
		}
		host = address
	}
	var dialer net.Dialer
	return dialer.DialContext(ctx, network, net.JoinHostPort(host, port))
}

func (p *proxy) record(method, target string, status int) {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	fmt.Fprintf(p.logFile, "%s %s %d\n", method, target, status)
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.RequestURI
	if p.wantAuth != "" && r.Header.Get("Proxy-Authorization") != p.wantAuth {
		w.Header().Set("Proxy-Authenticate", `Basic realm="test-proxy"`)
		http.Error(w, "proxy authentication required", http.StatusProxyAuthRequired)
		p.record(r.Method, target, http.StatusProxyAuthRequired)
		return
	}
	if r.Method == http.MethodConnect {
		p.tunnel(w, r)
		return
	}
	if r.URL.Scheme != "http" || r.URL.Host == "" {
		http.Error(w, "only absolute http URLs and CONNECT", http.StatusBadRequest)
		p.record(r.Method, target, http.StatusBadRequest)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.Header.Del("Proxy-Authorization")
	out.Header.Del("Proxy-Connection")
	response, err := p.transport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		p.record(r.Method, target, http.StatusBadGateway)
		return
	}
	defer response.Body.Close()
	for name, values := range response.Header {
		w.Header()[name] = values
	}
	w.WriteHeader(response.StatusCode)
	p.record(r.Method, target, response.StatusCode)
	io.Copy(flushing{w}, response.Body)
}

// flushing passes each piece of a relayed body on at once: a test's slow or stalling server must look the same through the proxy.
type flushing struct{ w http.ResponseWriter }

func (f flushing) Write(b []byte) (int, error) {
	n, err := f.w.Write(b)
	if flusher, ok := f.w.(http.Flusher); ok {
		flusher.Flush()
	}
	return n, err
}

func (p *proxy) tunnel(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	upstream, err := p.dial(ctx, "tcp", r.Host)
	cancel()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		p.record(r.Method, r.Host, http.StatusBadGateway)
		return
	}
	client, buffered, err := http.NewResponseController(w).Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	p.record(r.Method, r.Host, http.StatusOK)
	client.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	go func() {
		// Bytes the client sent after its CONNECT, already read into the server's buffer, go first.
		if n := buffered.Reader.Buffered(); n > 0 {
			pending, _ := buffered.Reader.Peek(n)
			upstream.Write(pending)
		}
		io.Copy(upstream, client)
		upstream.Close()
	}()
	io.Copy(client, upstream)
	client.Close()
}
