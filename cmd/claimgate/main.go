// Command claimgate is the user's tool for running claimgate locally:
//
//	claimgate demo        run the tutorial in the foreground; Ctrl-C stops everything
//	claimgate demo up     the same in the background; returns once the Gateway is Programmed
//	claimgate demo down   stop what `demo up` started
//
// The demo runs a real kube-apiserver and etcd (bin/k8s), the controller and a proxy (bin/),
// and a fake OpenAI-compatible LLM, as local processes (cmd/claimgate/demo/stack), and
// applies config/samples.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "demo" {
		fmt.Fprintln(os.Stderr, "usage: claimgate demo [run|up|down] [--dir .demo] [--bin bin] [--port 8080] [--proxies 1] [--redis]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("demo", flag.ExitOnError)
	dir := fs.String("dir", ".demo", "folder for the demo's state: kubeconfig, env, certificates, logs")
	bin := fs.String("bin", "bin", "folder holding the controller and proxy binaries")
	port := fs.Int("port", 8080, "port of the Gateway's listener (the samples use 8080)")
	proxies := fs.Int("proxies", 1, "proxies of the Gateway, on 127.0.0.1:<port>, 127.0.0.2:<port>, …")
	redis := fs.Bool("redis", false, "run a local redis-server (bin/redis, from `make redis`) that the proxies share rate-limit counters through")
	action := "run"
	args := os.Args[2:]
	if len(args) > 0 && (args[0] == "run" || args[0] == "up" || args[0] == "down") {
		action, args = args[0], args[1:]
	}
	_ = fs.Parse(args)
	opts := demoOptions{dir: *dir, bin: *bin, port: *port, proxies: max(*proxies, 1), redis: *redis}
	var err error
	switch action {
	case "run":
		err = run(opts)
	case "up":
		err = up(opts)
	case "down":
		err = down(*dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "claimgate demo:", err)
		os.Exit(1)
	}
}
