package guard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The moderation defaults.
const (
	DefaultModerationModel   = "omni-moderation-latest"
	DefaultModerationBaseURL = "https://api.openai.com"
	DefaultModerationTimeout = 10 * time.Second
)

// maxModerationAnswer bounds a moderation answer: one result, with its category scores,
// per message text.
const maxModerationAnswer = 4 << 20

// ModerationConfig is an OpenAI moderation endpoint (AIPromptGuard.Moderation.OpenAI).
type ModerationConfig struct {
	// Model is the moderation model (default DefaultModerationModel).
	Model string
	// APIKey is sent as "Authorization: Bearer <key>". It is a secret: no error and no
	// log carries it. Required unless Passthrough.
	APIKey string
	// Passthrough sends the client's own Authorization header instead of APIKey (Gloo's
	// passthrough auth token): a prompt that comes without one is rejected with 401.
	Passthrough bool
	// BaseURL is the API's scheme and host, and any path prefix, without /v1 (default
	// DefaultModerationBaseURL); the guard POSTs to BaseURL/v1/moderations.
	BaseURL string
	// Timeout bounds one call, from sending it to reading the whole answer (default
	// DefaultModerationTimeout). The caller's context bounds it too.
	Timeout time.Duration
	// Transport sends the calls; nil takes the pool shared by every guard (see
	// WebhookConfig.Transport).
	Transport http.RoundTripper
}

// Moderation is a compiled moderation guard: a RequestGuard that rejects a prompt any of
// whose message texts the moderation model flags. It is immutable and safe for
// concurrent use.
//
// Its Reject verdict has Status 0 and an empty Body: the caller answers with the
// route's customResponse, or its defaults ("The request was rejected due to
// inappropriate content"). Guard is "moderation".
type Moderation struct {
	call  guardCall
	model string
	// auth is the stored key's header; nil with passthrough.
	auth http.Header
}

var _ RequestGuard = (*Moderation)(nil)

// NewModeration validates cfg.
func NewModeration(cfg ModerationConfig) (*Moderation, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultModerationBaseURL
	}
	base, err := parseModerationBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("guard: moderation base URL: %w", err)
	}
	if cfg.APIKey == "" && !cfg.Passthrough {
		return nil, fmt.Errorf("guard: moderation %s: the API key is empty", base.Host)
	}
	if strings.ContainsAny(cfg.APIKey, "\r\n\x00") {
		return nil, fmt.Errorf("guard: moderation %s: the API key holds a line break or NUL", base.Host)
	}
	if cfg.Model == "" {
		cfg.Model = DefaultModerationModel
	}
	c, err := newGuardCall("moderation", base.Host, cfg.Timeout, DefaultModerationTimeout, cfg.Transport)
	if err != nil {
		return nil, err
	}
	c.endpoint = strings.TrimSuffix(base.Path, "/") + "/v1/moderations"
	c.url = base.Scheme + "://" + base.Host + c.endpoint
	c.maxAnswer = maxModerationAnswer
	m := &Moderation{call: c, model: cfg.Model}
	if !cfg.Passthrough {
		m.auth = http.Header{"Authorization": {"Bearer " + cfg.APIKey}}
	}
	return m, nil
}

func parseModerationBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("the scheme must be http or https")
	case u.Host == "":
		return nil, errors.New("no host")
	case u.User != nil:
		return nil, errors.New("credentials belong in the API key, not the URL")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, errors.New("a base URL takes no query or fragment")
	}
	return u, nil
}

// CheckRequest sends the texts of msgs that are not empty to the moderation API as its
// input. Any result flagged is Verdict{Action: Reject, Guard: "moderation"} (Status and
// Body left to the route); none is Pass. A prompt with no text is Pass without a call.
// No client header is sent to the moderation API but, with passthrough, the client's
// Authorization (a prompt without one is rejected with 401 before any call).
func (m *Moderation) CheckRequest(ctx context.Context, msgs []Message, h http.Header) (Verdict, error) {
	auth := m.auth
	if auth == nil {
		v := h.Get("Authorization")
		if v == "" {
			return Verdict{Action: Reject, Status: http.StatusUnauthorized, Body: "the moderation guard passes the client's key on: the request has no Authorization header", Guard: "moderation"}, nil
		}
		auth = http.Header{"Authorization": {v}}
	}
	input := make([]string, 0, len(msgs))
	for _, msg := range msgs {
		if msg.Content != "" {
			input = append(input, msg.Content)
		}
	}
	if len(input) == 0 {
		return Verdict{Action: Pass, Guard: "moderation"}, nil
	}
	body, err := json.Marshal(moderationRequest{Model: m.model, Input: input})
	if err != nil {
		return Verdict{}, m.call.errorf("encoding the call: %w", err)
	}
	status, answer, err := m.call.post(ctx, body, nil, auth)
	if err != nil {
		return Verdict{}, err
	}
	if status < 200 || status > 299 {
		return Verdict{}, m.call.errorf("answer has status %d%s", status, moderationStatusHint(status))
	}
	flagged, err := decodeModeration(answer, len(input))
	if err != nil {
		return Verdict{}, m.call.errorf("%w", err)
	}
	if flagged {
		return Verdict{Action: Reject, Guard: "moderation"}, nil
	}
	return Verdict{Action: Pass, Guard: "moderation"}, nil
}

func moderationStatusHint(status int) string {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return " (the API key was refused)"
	case http.StatusTooManyRequests:
		return " (rate limited)"
	case http.StatusNotFound:
		return " (unknown endpoint or model)"
	}
	return ""
}

type moderationRequest struct {
	Model string   `json:"model"`
	Input []string `json:"input"`
}

// decodeModeration reads the moderation API's answer: one result per input, each with
// its flagged verdict; an answer that does not cover every input is an error.
func decodeModeration(answer []byte, n int) (bool, error) {
	var a struct {
		Results *[]struct {
			Flagged *bool `json:"flagged"`
		} `json:"results"`
	}
	if err := json.Unmarshal(answer, &a); err != nil {
		return false, guardJSONError("answer", err)
	}
	if a.Results == nil {
		return false, errors.New("answer has no results")
	}
	if len(*a.Results) != n {
		return false, fmt.Errorf("answer has %d results for the %d inputs sent", len(*a.Results), n)
	}
	flagged := false
	for i, r := range *a.Results {
		if r.Flagged == nil {
			return false, fmt.Errorf("answer's results[%d] has no flagged verdict", i)
		}
		flagged = flagged || *r.Flagged
	}
	return flagged, nil
}
