package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/claimgate/claimgate/cmd/claimgate/demo/stack"
)

// demoOptions are the demo's flags.
type demoOptions struct {
	dir, bin      string
	port, proxies int
	redis         bool
}

// redisAddr is where the demo runs redis-server with --redis.
const redisAddr = "127.0.0.1:16379"

// run brings the demo up, prints how to use it, and tears it down on SIGINT or SIGTERM.
func run(o demoOptions) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, bin, err := absPaths(o.dir, o.bin)
	if err != nil {
		return err
	}
	port := o.port
	_ = os.Remove(filepath.Join(dir, "ready"))
	fmt.Printf("starting kube-apiserver, etcd, the controller, %d proxies and a fake LLM ...\n", o.proxies)
	cfg := stack.DefaultConfig(dir, bin)
	if o.redis {
		cfg.RedisAddr, cfg.RedisBin = redisAddr, filepath.Join(bin, "redis")
	}
	s, err := stack.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("stopping ...")
		if err := s.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping:", err)
		}
		_ = os.Remove(filepath.Join(dir, "ready"))
		fmt.Println("stopped")
	}()
	if err := bringUp(ctx, s, port, o.proxies); err != nil {
		return err
	}
	envFile, err := writeEnv(s, port, o.proxies)
	if err != nil {
		return err
	}
	printUsage(envFile)
	if err := os.WriteFile(filepath.Join(dir, "ready"), nil, 0o600); err != nil {
		return fmt.Errorf("marking the demo ready: %w", err)
	}
	return watch(ctx, s)
}

func bringUp(ctx context.Context, s *stack.Stack, port, proxies int) error {
	if err := s.ApplyGatewayClass(); err != nil {
		return err
	}
	files, err := stack.Samples()
	if err != nil {
		return err
	}
	for _, f := range files {
		if _, err := s.Kubectl("apply", "-f", f); err != nil {
			return err
		}
	}
	if err := s.StartProxy(port); err != nil {
		return err
	}
	for i := 1; i < proxies; i++ {
		if _, err := s.StartFleetProxy(i, port, fmt.Sprintf("127.0.0.1:%d", 18901+i)); err != nil {
			return err
		}
	}
	waitCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return s.WaitProgrammed(waitCtx)
}

// watch waits for a signal, or fails when the controller or the proxy dies.
func watch(ctx context.Context, s *stack.Stack) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		for _, p := range append([]*stack.Process{s.Controller, s.Proxy}, s.Fleet...) {
			if exited, err := p.Exited(); exited {
				return fmt.Errorf("the %s exited (%w); see %s", p.Name, err, filepath.Join(s.Dir, "logs", p.Name+".log"))
			}
		}
	}
}

func writeEnv(s *stack.Stack, port, proxies int) (string, error) {
	alice, err1 := os.ReadFile(stack.Sample("tokens/alice.jwt"))
	bob, err2 := os.ReadFile(stack.Sample("tokens/bob.jwt"))
	if err := errors.Join(err1, err2); err != nil {
		return "", fmt.Errorf("reading the tutorial's tokens: %w", err)
	}
	lines := []string{
		"export KUBECONFIG=" + s.Kubeconfig(),
		fmt.Sprintf("export GATEWAY=http://127.0.0.1:%d", port),
		"export GATEWAYS=\"" + gatewayURLs(port, proxies) + "\"",
		"export FAKE_LLM=http://" + s.FakeLLMAddr,
		"export SAMPLES=" + stack.SamplesDir(),
		"export ALICE=" + strings.TrimSpace(string(alice)),
		"export BOB=" + strings.TrimSpace(string(bob)),
	}
	path := filepath.Join(s.Dir, "env")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return path, nil
}

func printUsage(envFile string) {
	fmt.Printf(`
claimgate is up: Gateway gloo-system/ai-gateway is Programmed, with the tutorial applied.
In another shell:

  source %s

  # no token: 401 Jwt is missing
  curl -i $GATEWAY/openai -H content-type:application/json -d @$SAMPLES/request.json

  # Alice (llms.openai holds gpt-3.5-turbo): 200 and the chat completion
  curl -i $GATEWAY/openai -H "Authorization: Bearer $ALICE" -H content-type:application/json -d @$SAMPLES/request.json

  # Bob (llms.mistralai only): 403 RBAC: access denied
  curl -i $GATEWAY/openai -H "Authorization: Bearer $BOB" -H content-type:application/json -d @$SAMPLES/request.json

  # then: kubectl delete routeoption openai-opt -n gloo-system      (Bob gets 200)
  #       kubectl delete virtualhostoption jwt-provider -n gloo-system (no token gets 200)
  kubectl get gateway,httproute,vho,rto,us -A

Logs are in %s. Ctrl-C stops everything.
`, envFile, filepath.Join(filepath.Dir(envFile), "logs"))
}

func absPaths(dir, bin string) (string, string, error) {
	d, err1 := filepath.Abs(dir)
	b, err2 := filepath.Abs(bin)
	return d, b, errors.Join(err1, err2)
}

// gatewayURLs are the URLs of every proxy, space-separated.
func gatewayURLs(port, proxies int) string {
	urls := make([]string, 0, proxies)
	for i := range proxies {
		urls = append(urls, fmt.Sprintf("http://%s:%d", stack.ProxyHost(i), port))
	}
	return strings.Join(urls, " ")
}
