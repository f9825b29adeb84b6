package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// haproxyChecks are HAProxy 2.6 rules giving the tutorial's answers: 401 without a token,
// with a token that is not an RS256 JWT signed by the key, expired, or from another
// issuer; 403 when llms.openai does not hold gpt-3.5-turbo. jwt_payload_query takes a
// JSON path; HAProxy 2.6 cannot search a list, so the rule reads the list's first item
// ('$.llms.openai[0]'), which is what the tutorial's tokens carry.
const haproxyChecks = `
  http-request set-var(txn.bearer) http_auth_bearer
  http-request return status 401 content-type text/plain string "Jwt is missing" hdr www-authenticate "Bearer" unless { var(txn.bearer) -m found }
  http-request set-var(txn.alg) var(txn.bearer),jwt_header_query('$.alg')
  http-request return status 401 content-type text/plain string "Jwt verification fails" unless { var(txn.alg) -m str RS256 }
  http-request return status 401 content-type text/plain string "Jwt verification fails" unless { var(txn.bearer),jwt_verify(txn.alg,"%s") -m int 1 }
  http-request set-var(txn.now) date
  http-request set-var(txn.exp) var(txn.bearer),jwt_payload_query('$.exp','int')
  http-request return status 401 content-type text/plain string "Jwt is expired" if { var(txn.exp) -m found } { var(txn.exp),sub(txn.now) -m int le 0 }
  http-request return status 401 content-type text/plain string "Jwt issuer is not configured" unless { var(txn.bearer),jwt_payload_query('$.iss') -m str %s }
  http-request return status 403 content-type text/plain string "RBAC: access denied" unless { var(txn.bearer),jwt_payload_query('$.llms.openai[0]') -m str gpt-3.5-turbo }
`

const haproxyTemplate = `global
  maxconn 4096
  log stderr format raw local0 err
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
frontend bench
  bind 127.0.0.1:%d
%s
  http-request set-path /v1/chat/completions
  http-request set-header Authorization "Bearer %s"
  default_backend llm
backend llm
  http-reuse always
  server fake 127.0.0.1:%d
`

// ensureHAProxy returns the haproxy binary, installing Debian's package when missing.
func ensureHAProxy() (string, error) {
	if p, err := exec.LookPath("haproxy"); err == nil {
		return p, nil
	}
	apt := []string{"apt-get", "install", "-y", "-q", "haproxy"}
	if os.Geteuid() != 0 {
		apt = append([]string{"sudo", "-n"}, apt...)
	}
	out, err := exec.Command(apt[0], apt[1:]...).CombinedOutput()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return "", fmt.Errorf("installing haproxy: %w: %s", err, lines[len(lines)-1])
	}
	p, err := exec.LookPath("haproxy")
	if err != nil {
		return "", errors.New("haproxy installed but not on the PATH")
	}
	return p, nil
}

// startHAProxy runs haproxy in the foreground in front of the backend, with the checks
// when publicPEM is not empty, and returns it with its URL.
func startHAProxy(haproxy, dir, name string, backendPort int, publicPEM string) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	checks := ""
	if publicPEM != "" {
		keyFile := filepath.Join(dir, "haproxy-public-key.pem")
		if err := os.WriteFile(keyFile, []byte(publicPEM), 0o600); err != nil {
			return nil, "", fmt.Errorf("writing %s: %w", keyFile, err)
		}
		checks = fmt.Sprintf(haproxyChecks, keyFile, Issuer)
	}
	cfg := filepath.Join(dir, name+".cfg")
	text := fmt.Sprintf(haproxyTemplate, port, checks, providerKey, backendPort)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		return nil, "", fmt.Errorf("writing %s: %w", cfg, err)
	}
	if out, err := exec.Command(haproxy, "-c", "-q", "-f", cfg).CombinedOutput(); err != nil {
		return nil, "", fmt.Errorf("haproxy rejects %s: %w: %s", cfg, err, out)
	}
	p, err := startProc(name, logPath(dir, name), haproxy, "-db", "-f", cfg)
	if err != nil {
		return nil, "", err
	}
	return p, "http://127.0.0.1:" + strconv.Itoa(port) + "/openai", nil
}
