package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultWebhookTimeout bounds one webhook call when WebhookConfig.Timeout is zero.
const DefaultWebhookTimeout = 10 * time.Second

// maxWebhookAnswer bounds a webhook's answer; a longer one is an error.
const maxWebhookAnswer = 1 << 20

// WebhookConfig is one guardrail webhook (AIPromptGuard.Webhook), called over plain HTTP
// at http://Host:Port/request and /response per Gloo's guardrail webhook contract.
type WebhookConfig struct {
	// Host is the webhook's DNS name or IP address, without scheme or port.
	Host string
	// Port is the webhook's TCP port (1-65535).
	Port uint32
	// ForwardHeaders selects the client request headers sent along with each call (see
	// HeaderMatcher for the rules, and the headers never sent).
	ForwardHeaders []HeaderMatch
	// Timeout bounds one call, from sending it to reading the whole answer (default
	// DefaultWebhookTimeout). The caller's context bounds it too: whichever ends first.
	Timeout time.Duration
	// Transport sends the calls. Nil takes one pooled transport shared by every guard
	// of the process, so connections survive snapshot swaps: HTTP/1.1, no proxy from
	// the environment, 5s to connect, 1m at most to the answer's headers.
	Transport http.RoundTripper
}

// Webhook is a compiled guardrail webhook: a RequestGuard (POST /request) and a
// ResponseGuard (POST /response). It is immutable and safe for concurrent use.
//
// Any failure to get a decision (connection, timeout, a status other than 2xx, an
// answer that does not follow the contract) is an error that names the webhook's
// host:port and endpoint, and never quotes the prompt, the answer or a header value.
type Webhook struct {
	request  guardCall
	response guardCall
	headers  *HeaderMatcher
}

var (
	_ RequestGuard  = (*Webhook)(nil)
	_ ResponseGuard = (*Webhook)(nil)
)

// NewWebhook validates cfg and compiles its header matches.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	if err := validateWebhookHost(cfg.Host); err != nil {
		return nil, fmt.Errorf("guard: webhook host %q: %w", cfg.Host, err)
	}
	if cfg.Port == 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("guard: webhook %s: port %d is not in 1-65535", cfg.Host, cfg.Port)
	}
	addr := net.JoinHostPort(strings.Trim(cfg.Host, "[]"), strconv.FormatUint(uint64(cfg.Port), 10))
	hm, err := NewHeaderMatcher(cfg.ForwardHeaders)
	if err != nil {
		return nil, fmt.Errorf("guard: webhook %s: %w", addr, err)
	}
	base, err := newGuardCall("webhook", addr, cfg.Timeout, DefaultWebhookTimeout, cfg.Transport)
	if err != nil {
		return nil, err
	}
	base.maxAnswer = maxWebhookAnswer
	w := &Webhook{request: base, response: base, headers: hm}
	w.request.endpoint, w.request.url = "/request", "http://"+addr+"/request"
	w.response.endpoint, w.response.url = "/response", "http://"+addr+"/response"
	return w, nil
}

// validateWebhookHost accepts a DNS name or an IP address (an IPv6 one bracketed or
// not), and nothing with a scheme, port, path or userinfo.
func validateWebhookHost(host string) error {
	if host == "" {
		return errors.New("host is empty")
	}
	if strings.ContainsAny(host, "/?#@%\\ \t\r\n") {
		return errors.New("host must be a name or an address, without scheme, path or userinfo")
	}
	if h := strings.Trim(host, "[]"); strings.Contains(h, ":") && net.ParseIP(h) == nil {
		return errors.New("host must not include a port")
	}
	return nil
}

// CheckRequest sends the prompt's messages to POST /request with the forwarded headers
// of h. Pass is Verdict{Action: Pass}; Mask carries the webhook's messages (as many as
// sent, else an error); Reject carries the webhook's status_code (which must be
// 200-599: a 1xx cannot end an HTTP exchange) and body. Guard is "webhook".
func (w *Webhook) CheckRequest(ctx context.Context, msgs []Message, h http.Header) (Verdict, error) {
	if msgs == nil {
		msgs = []Message{}
	}
	req := webhookPromptRequest{Body: webhookPrompt{Messages: msgs}}
	act, err := w.call(ctx, &w.request, req, h)
	if err != nil {
		return Verdict{}, err
	}
	switch act.kind {
	case webhookMask:
		out, err := decodeMaskedMessages(act.body, len(msgs))
		if err != nil {
			return Verdict{}, w.request.errorf("%w", err)
		}
		return Verdict{Action: Mask, Messages: out, Guard: "webhook"}, nil
	case webhookReject:
		if act.status < 200 || act.status > 599 {
			return Verdict{}, w.request.errorf("reject action's status_code %d is not in 200-599", act.status)
		}
		return Verdict{Action: Reject, Status: act.status, Body: act.rejectBody, Guard: "webhook"}, nil
	}
	return Verdict{Action: Pass, Guard: "webhook"}, nil
}

// MaskResponse sends the answer's choices to POST /response with the forwarded headers
// of h. Pass returns choices unchanged; Mask returns the webhook's choices (as many as
// sent, else an error) and whether any differs from what was sent. A reject action is
// an error: the contract does not allow one on /response.
func (w *Webhook) MaskResponse(ctx context.Context, choices []Choice, h http.Header) ([]Choice, bool, error) {
	wire := make([]webhookChoice, len(choices))
	for i, c := range choices {
		wire[i] = webhookChoice{Message: Message(c)}
	}
	req := webhookAnswerRequest{Body: webhookChoices{Choices: wire}}
	act, err := w.call(ctx, &w.response, req, h)
	if err != nil {
		return nil, false, err
	}
	switch act.kind {
	case webhookMask:
		out, err := decodeMaskedChoices(act.body, len(choices))
		if err != nil {
			return nil, false, w.response.errorf("%w", err)
		}
		return out, !webhookChoicesEqual(out, choices), nil
	case webhookReject:
		return nil, false, w.response.errorf("answer is a reject action, which /response does not allow")
	}
	return choices, false, nil
}

// call POSTs payload with the forwarded headers of h and decodes the answer's action.
func (w *Webhook) call(ctx context.Context, c *guardCall, payload any, h http.Header) (webhookAction, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return webhookAction{}, c.errorf("encoding the call: %w", err)
	}
	status, answer, err := c.post(ctx, body, w.headers.Select(h), nil)
	if err != nil {
		return webhookAction{}, err
	}
	switch {
	case status == http.StatusUnprocessableEntity:
		return webhookAction{}, c.errorf("webhook found the call invalid (status 422)")
	case status < 200 || status > 299:
		return webhookAction{}, c.errorf("answer has status %d", status)
	}
	act, err := decodeWebhookAction(answer)
	if err != nil {
		return webhookAction{}, c.errorf("%w", err)
	}
	return act, nil
}

func webhookChoicesEqual(a, b []Choice) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// guardCall is one endpoint a guard POSTs JSON to, and how: it bounds the call and
// the answer, and words every error with the guard, where it is and the endpoint.
type guardCall struct {
	client    *http.Client
	guard     string // "webhook", "moderation"
	where     string // host:port, for errors
	endpoint  string // the path, for errors
	url       string
	timeout   time.Duration
	maxAnswer int64
}

func newGuardCall(guard, where string, timeout, def time.Duration, rt http.RoundTripper) (guardCall, error) {
	switch {
	case timeout < 0:
		return guardCall{}, fmt.Errorf("guard: %s %s: timeout %s is negative", guard, where, timeout)
	case timeout == 0:
		timeout = def
	}
	if rt == nil {
		rt = guardTransport()
	}
	client := &http.Client{
		Transport: rt,
		// A guard answers where it is asked: following a redirect would send the prompt
		// and the forwarded headers elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return guardCall{client: client, guard: guard, where: where, timeout: timeout}, nil
}

// errGuardTimeout is the cause of a call's context when the call's own timeout ends it.
var errGuardTimeout = errors.New("guard call timed out")

// post sends body with the headers fwd and then set, and returns the answer's status
// and body, read whole. The call is bounded by ctx and by c.timeout.
func (c *guardCall) post(ctx context.Context, body []byte, fwd, set http.Header) (int, []byte, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errGuardTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, c.errorf("building the call: %w", err)
	}
	for k, vs := range fwd {
		req.Header[k] = vs
	}
	for k, vs := range set {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, c.failed(ctx, "sending the call", err)
	}
	defer func() { _ = resp.Body.Close() }()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, c.maxAnswer+1))
	if err != nil {
		return 0, nil, c.failed(ctx, "reading the answer", err)
	}
	if int64(len(answer)) > c.maxAnswer {
		return 0, nil, c.errorf("answer is longer than %d bytes", c.maxAnswer)
	}
	return resp.StatusCode, answer, nil
}

// failed words a transport error, telling the call's own timeout from the caller's
// context ending. The URL, which the client's error repeats, is left out.
func (c *guardCall) failed(ctx context.Context, doing string, err error) error {
	if ctx.Err() != nil {
		if errors.Is(context.Cause(ctx), errGuardTimeout) {
			return c.errorf("%s: no answer within %s: %w", doing, c.timeout, context.DeadlineExceeded)
		}
		return c.errorf("%s: %w", doing, ctx.Err())
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	return c.errorf("%s: %w", doing, err)
}

func (c *guardCall) errorf(format string, args ...any) error {
	prefix := fmt.Sprintf("guard: %s %s: POST %s: ", c.guard, c.where, c.endpoint)
	return fmt.Errorf(prefix+format, args...)
}

// guardTransport is the pool shared by every guard without a Transport of its own.
var guardTransport = sync.OnceValue(func() *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		Protocols:             protocols,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: time.Minute,
		ExpectContinueTimeout: time.Second,
	}
})

// The webhook contract's wire forms.
type (
	webhookPromptRequest struct {
		Body webhookPrompt `json:"body"`
	}
	webhookPrompt struct {
		Messages []Message `json:"messages"`
	}
	webhookAnswerRequest struct {
		Body webhookChoices `json:"body"`
	}
	webhookChoices struct {
		Choices []webhookChoice `json:"choices"`
	}
	webhookChoice struct {
		Message Message `json:"message"`
	}
	// webhookMessageIn is a message of a mask action: both fields are required.
	webhookMessageIn struct {
		Role    *string `json:"role"`
		Content *string `json:"content"`
	}
)

type webhookActionKind int

const (
	webhookPass webhookActionKind = iota
	webhookMask
	webhookReject
)

// webhookAction is a decoded action: a mask's body (an object, decoded per endpoint)
// or a reject's status and body.
type webhookAction struct {
	kind       webhookActionKind
	body       json.RawMessage
	status     int
	rejectBody string
}

// decodeWebhookAction tells the actions apart by shape, the contract's anyOf having no
// discriminator: a reject has a string body and a status_code, a mask an object body,
// a pass neither (JSON null counts as absent). Anything else is an error.
func decodeWebhookAction(answer []byte) (webhookAction, error) {
	var env struct {
		Action json.RawMessage `json:"action"`
	}
	if err := json.Unmarshal(answer, &env); err != nil {
		return webhookAction{}, guardJSONError("answer", err)
	}
	if webhookJSONAbsent(env.Action) {
		return webhookAction{}, errors.New("answer has no action")
	}
	var a struct {
		Body       json.RawMessage `json:"body"`
		StatusCode json.RawMessage `json:"status_code"`
	}
	if err := json.Unmarshal(env.Action, &a); err != nil {
		return webhookAction{}, guardJSONError("action", err)
	}
	hasStatus := !webhookJSONAbsent(a.StatusCode)
	switch {
	case webhookJSONAbsent(a.Body) && hasStatus:
		return webhookAction{}, errors.New("action has a status_code but no body")
	case webhookJSONAbsent(a.Body):
		return webhookAction{kind: webhookPass}, nil
	case a.Body[0] == '{':
		return webhookAction{kind: webhookMask, body: a.Body}, nil
	case a.Body[0] != '"':
		return webhookAction{}, errors.New("action's body is neither a string (reject) nor an object (mask)")
	case !hasStatus:
		return webhookAction{}, errors.New("action has a string body but no status_code")
	}
	act := webhookAction{kind: webhookReject}
	if err := json.Unmarshal(a.Body, &act.rejectBody); err != nil {
		return webhookAction{}, guardJSONError("reject action's body", err)
	}
	if err := json.Unmarshal(a.StatusCode, &act.status); err != nil {
		return webhookAction{}, guardJSONError("reject action's status_code (an integer)", err)
	}
	return act, nil
}

// webhookJSONAbsent reports whether a field was missing or null. RawMessage keeps a value
// without its surrounding whitespace, so a non-empty one starts with its first byte.
func webhookJSONAbsent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// decodeMaskedMessages decodes a /request mask body: exactly n messages.
func decodeMaskedMessages(body json.RawMessage, n int) ([]Message, error) {
	var b struct {
		Messages *[]webhookMessageIn `json:"messages"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, guardJSONError("mask action's body", err)
	}
	if b.Messages == nil {
		return nil, errors.New("mask action's body has no messages")
	}
	if len(*b.Messages) != n {
		return nil, fmt.Errorf("mask action's body has %d messages for the %d sent", len(*b.Messages), n)
	}
	out := make([]Message, n)
	for i, m := range *b.Messages {
		if m.Role == nil || m.Content == nil {
			return nil, fmt.Errorf("mask action's messages[%d] lacks its role or content", i)
		}
		out[i] = Message{Role: *m.Role, Content: *m.Content}
	}
	return out, nil
}

// decodeMaskedChoices decodes a /response mask body: exactly n choices.
func decodeMaskedChoices(body json.RawMessage, n int) ([]Choice, error) {
	var b struct {
		Choices *[]struct {
			Message *webhookMessageIn `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, guardJSONError("mask action's body", err)
	}
	if b.Choices == nil {
		return nil, errors.New("mask action's body has no choices")
	}
	if len(*b.Choices) != n {
		return nil, fmt.Errorf("mask action's body has %d choices for the %d sent", len(*b.Choices), n)
	}
	out := make([]Choice, n)
	for i, c := range *b.Choices {
		if c.Message == nil || c.Message.Role == nil || c.Message.Content == nil {
			return nil, fmt.Errorf("mask action's choices[%d] lacks its message's role or content", i)
		}
		out[i] = Choice{Role: *c.Message.Role, Content: *c.Message.Content}
	}
	return out, nil
}

// guardJSONError words a decoding error without its text, which can quote the answer
// (a syntax error names the offending character, a type error the offending number):
// what failed, and where in the answer or which field. The decoder's error stays
// reachable with errors.As.
func guardJSONError(what string, err error) error {
	detail := "not valid JSON"
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		detail = fmt.Sprintf("not valid JSON (at byte %d)", se.Offset)
	} else if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		detail = "a value of the wrong JSON type"
		if te.Field != "" {
			detail = fmt.Sprintf("a value of the wrong JSON type (at %s)", te.Field)
		}
	}
	return &guardRedactedError{msg: what + ": " + detail, err: err}
}

// guardRedactedError is an error whose message leaves out the error it wraps.
type guardRedactedError struct {
	msg string
	err error
}

func (e *guardRedactedError) Error() string { return e.msg }
func (e *guardRedactedError) Unwrap() error { return e.err }
