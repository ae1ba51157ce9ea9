// Command proxyfor prints, for each URL argument, the forward proxy that go's own HTTP client
// would use for it under the current environment (net/http.ProxyFromEnvironment, which
// cmd/go's client uses): the proxy URL, "direct", or "error: …". The tests compare the
// action's proxy selection with it.
package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	for _, raw := range os.Args[1:] {
		req, err := http.NewRequest("GET", raw, nil)
		if err != nil {
			fmt.Printf("error: %v\n", err)
			continue
		}
		proxy, err := http.ProxyFromEnvironment(req)
		switch {
		case err != nil:
			fmt.Printf("error: %v\n", err)
		case proxy == nil:
			fmt.Println("direct")
		default:
			fmt.Println(proxy.String())
		}
	}
}
