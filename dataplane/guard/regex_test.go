package guard

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// labCardPattern is lab 9's response pattern, as the workshop writes it.
const labCardPattern = `\b(\d{4}[-\s]\d{4}[-\s]\d{4}[-\s]\d{4})\b`

func mustRegex(t *testing.T, g *snapshotv1.AiRegexGuard) *Regex {
	t.Helper()
	r, err := CompileRegex(g)
	require.NoError(t, err)
	require.NotNil(t, r)
	return r
}

func builtinGuard(b ...snapshotv1.AiRegexGuard_BuiltIn) *snapshotv1.AiRegexGuard {
	return &snapshotv1.AiRegexGuard{Builtins: b}
}

func TestRegexMask(t *testing.T) {
	for name, tc := range map[string]struct {
		guard    *snapshotv1.AiRegexGuard
		in, want string
	}{
		"lab 9 card pattern": {
			&snapshotv1.AiRegexGuard{Matches: []*snapshotv1.AiRegexGuard_AiRegexMatch{{Pattern: labCardPattern}}},
			"Your card is 1234 5678 9012 3456, keep it safe.", "Your card is <CUSTOM>, keep it safe.",
		},
		"custom patterns match case-insensitively": {
			&snapshotv1.AiRegexGuard{Matches: []*snapshotv1.AiRegexGuard_AiRegexMatch{{Pattern: "credit card"}}},
			"My Credit Card and my CREDIT CARD", "My <CUSTOM> and my <CUSTOM>",
		},
		"credit card with a valid checksum": {
			builtinGuard(snapshotv1.AiRegexGuard_CREDIT_CARD), "pay with 4111 1111 1111 1111 or 4111-1111-1111-1111 or 4111111111111111",
			"pay with <CREDIT_CARD> or <CREDIT_CARD> or <CREDIT_CARD>",
		},
		"digits failing the checksum are no card": {
			builtinGuard(snapshotv1.AiRegexGuard_CREDIT_CARD), "order 1234 5678 9012 3456", "order 1234 5678 9012 3456",
		},
		"ssn": {
			builtinGuard(snapshotv1.AiRegexGuard_SSN), "ssn 123-45-6789, not 000-12-3456 nor 123-45.6789", "ssn <US_SSN>, not 000-12-3456 nor 123-45.6789",
		},
		"phone numbers": {
			builtinGuard(snapshotv1.AiRegexGuard_PHONE_NUMBER), "call 555-123-4567 or (555) 123-4567 or +44 20 7946 0958",
			"call <PHONE_NUMBER> or <PHONE_NUMBER> or <PHONE_NUMBER>",
		},
		"email": {
			builtinGuard(snapshotv1.AiRegexGuard_EMAIL), "write to jane.doe+ai@mail.example.com today", "write to <EMAIL_ADDRESS> today",
		},
		"several detectors in order": {
			&snapshotv1.AiRegexGuard{
				Matches:  []*snapshotv1.AiRegexGuard_AiRegexMatch{{Pattern: `secret-\d+`}},
				Builtins: []snapshotv1.AiRegexGuard_BuiltIn{snapshotv1.AiRegexGuard_EMAIL},
			},
			"secret-42 to a@b.io", "<CUSTOM> to <EMAIL_ADDRESS>",
		},
		"nothing to mask": {
			builtinGuard(snapshotv1.AiRegexGuard_EMAIL, snapshotv1.AiRegexGuard_CREDIT_CARD), "hello there", "hello there",
		},
	} {
		t.Run(name, func(t *testing.T) {
			got, changed := mustRegex(t, tc.guard).Mask(tc.in)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.want != tc.in, changed)
		})
	}
}

func TestRegexCheckRequest(t *testing.T) {
	reject := mustRegex(t, &snapshotv1.AiRegexGuard{
		Matches: []*snapshotv1.AiRegexGuard_AiRegexMatch{{Pattern: "credit card"}}, Action: snapshotv1.AiRegexGuard_REJECT,
	})
	msgs := []Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "What is a Credit Card?"}}
	v, err := reject.CheckRequest(context.Background(), msgs, nil)
	require.NoError(t, err)
	require.Equal(t, Verdict{Action: Reject, Guard: NameRegex}, v)
	v, err = reject.CheckRequest(context.Background(), []Message{{Role: "user", Content: "hello"}}, nil)
	require.NoError(t, err)
	require.Equal(t, Pass, v.Action)

	mask := mustRegex(t, builtinGuard(snapshotv1.AiRegexGuard_EMAIL))
	v, err = mask.CheckRequest(context.Background(), []Message{{Role: "user", Content: "hi"}, {Role: "user", Content: "mail a@b.io"}}, nil)
	require.NoError(t, err)
	require.Equal(t, Mask, v.Action)
	require.Equal(t, []Message{{Role: "user", Content: "hi"}, {Role: "user", Content: "mail <EMAIL_ADDRESS>"}}, v.Messages)
}

func TestCompileRegexRefusesBadPattern(t *testing.T) {
	_, err := CompileRegex(&snapshotv1.AiRegexGuard{Matches: []*snapshotv1.AiRegexGuard_AiRegexMatch{{Pattern: "(", Name: "broken"}}})
	require.ErrorContains(t, err, "matches[0] (broken)")
	r, err := CompileRegex(&snapshotv1.AiRegexGuard{})
	require.NoError(t, err)
	require.Nil(t, r)
}

type failingGuard struct{}

func (failingGuard) CheckRequest(context.Context, []Message, http.Header) (Verdict, error) {
	return Verdict{}, errors.New("unreachable")
}

type statusGuard struct{}

func (statusGuard) CheckRequest(context.Context, []Message, http.Header) (Verdict, error) {
	return Verdict{Action: Reject, Status: 451, Body: "blocked"}, nil
}

func TestPipelineCheckRequest(t *testing.T) {
	p, err := Compile(&snapshotv1.AiGuard{Request: &snapshotv1.AiRequestGuard{
		RejectStatus: 422, RejectMessage: "no",
		Regex: &snapshotv1.AiRegexGuard{Matches: []*snapshotv1.AiRegexGuard_AiRegexMatch{{Pattern: "credit card"}}, Action: snapshotv1.AiRegexGuard_REJECT},
	}}, Options{})
	require.NoError(t, err)
	var acts []string
	note := func(g string, a Action) {
		acts = append(acts, g+":"+map[Action]string{Mask: "mask", Reject: "reject"}[a])
	}
	v, err := p.CheckRequest(context.Background(), []Message{{Role: "user", Content: "my credit card"}}, nil, note)
	require.NoError(t, err)
	require.Equal(t, Verdict{Action: Reject, Status: 422, Body: "no", Guard: NameRegex}, v)
	require.Equal(t, []string{"regex:reject"}, acts)

	own := &Pipeline{Request: []NamedRequestGuard{{"webhook", statusGuard{}}}, RejectStatus: 403, RejectMessage: "x"}
	v, err = own.CheckRequest(context.Background(), nil, nil, note)
	require.NoError(t, err)
	require.Equal(t, 451, v.Status, "a guard's own status wins")
	require.Equal(t, "blocked", v.Body)

	broken := &Pipeline{Request: []NamedRequestGuard{{"webhook", failingGuard{}}}}
	_, err = broken.CheckRequest(context.Background(), nil, nil, note)
	var ge *Error
	require.ErrorAs(t, err, &ge)
	require.Equal(t, "webhook", ge.Guard)
}

// TestCompileOutcalls: a webhook and a moderation guard are built from their snapshot
// messages, in Gloo's order (regex, webhook, moderation); a bad one fails the route's
// compile; a guard with nothing to run costs nothing.
func TestCompileOutcalls(t *testing.T) {
	g := &snapshotv1.AiGuard{
		Request: &snapshotv1.AiRequestGuard{
			Regex:      &snapshotv1.AiRegexGuard{Matches: []*snapshotv1.AiRegexGuard_AiRegexMatch{{Pattern: "x"}}},
			Webhook:    &snapshotv1.AiWebhookGuard{Host: "h", Port: 1},
			Moderation: &snapshotv1.AiModerationGuard{Model: "m", AuthToken: "sk"},
		},
		Response: &snapshotv1.AiResponseGuard{Webhook: &snapshotv1.AiWebhookGuard{Host: "h", Port: 1}},
	}
	p, err := Compile(g, Options{})
	require.NoError(t, err)
	var names []string
	for _, r := range p.Request {
		names = append(names, r.Name)
	}
	require.Equal(t, []string{NameRegex, NameWebhook, NameModeration}, names)
	require.Len(t, p.Response, 1)
	require.Equal(t, NameWebhook, p.Response[0].Name)

	g.Request.Webhook.Port = 0
	_, err = Compile(g, Options{})
	require.ErrorContains(t, err, "port 0 is not in 1-65535")
	g.Request.Webhook.Port = 1
	g.Request.Moderation.AuthToken = ""
	_, err = Compile(g, Options{})
	require.ErrorContains(t, err, "the API key is empty")
	g.Request.Moderation.Passthrough = true
	_, err = Compile(g, Options{})
	require.NoError(t, err, "passthrough needs no key")

	p, err = Compile(&snapshotv1.AiGuard{Request: &snapshotv1.AiRequestGuard{}}, Options{})
	require.NoError(t, err)
	require.Nil(t, p, "a guard with nothing to run costs nothing")
}

func TestHolder(t *testing.T) {
	var h Holder
	require.Empty(t, h.Add("Your card is 1234 "))
	require.Empty(t, h.Add("5678 9012"))
	require.Equal(t, "Your card is 1234 5678 9012 3456. ", h.Add(" 3456. Keep"))
	require.Equal(t, "Keep it\n", h.Add(" it\nsafe"))
	require.Equal(t, "safe", h.Flush())
	require.Zero(t, h.Held())

	require.Empty(t, h.Add("v1.2"), "a dot inside a word is no boundary")
	long := strings.Repeat("x", MaxHeld)
	require.Equal(t, "v1.2"+long, h.Add(long), "past the bound the held text goes")
	require.Zero(t, h.Held())
}
