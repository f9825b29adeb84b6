package h1

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ErrMalformed wraps every refusal of an upstream's answer as not valid HTTP/1.1.
var ErrMalformed = errors.New("h1: malformed answer")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// readHead gathers the lines of a head from br into buf (reset first), up to and
// including the empty line that ends it, refusing a head longer than limit.
func readHead(br *reader, buf []byte, limit int) ([]byte, error) {
	return readLines(br, buf, limit, false)
}

// readTrailerLines gathers a chunked body's trailer: field lines, possibly none, up to
// and including the empty line that ends the body.
func readTrailerLines(br *reader, buf []byte, limit int) ([]byte, error) {
	return readLines(br, buf, limit, true)
}

func readLines(br *reader, buf []byte, limit int, trailer bool) ([]byte, error) {
	buf = buf[:0]
	lineStart := 0
	for {
		frag, err := br.readSlice('\n')
		if len(buf)+len(frag) > limit {
			return buf, malformed("head longer than %d bytes", limit)
		}
		buf = append(buf, frag...)
		switch {
		case errors.Is(err, errBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(buf) > 0:
			return buf, io.ErrUnexpectedEOF
		case err != nil:
			return buf, err
		}
		line := buf[lineStart:]
		if len(line) == 1 || len(line) == 2 && line[0] == '\r' {
			if lineStart == 0 && !trailer {
				return buf, malformed("empty line where the status line was expected")
			}
			return buf, nil
		}
		lineStart = len(buf)
	}
}

// head is a parsed answer head.
type head struct {
	major, minor int
	status       int
	proto        string // "HTTP/1.1"
	statusText   string // "200 OK"
	header       http.Header
}

// parseHead parses a response head as readHead gathered it.
func parseHead(s string) (head, error) {
	var h head
	line, rest := cutLine(s)
	if err := h.parseStatusLine(line); err != nil {
		return h, err
	}
	var err error
	h.header, err = parseFields(rest)
	return h, err
}

// parseStatusLine reads "HTTP/1.x NNN reason".
func (h *head) parseStatusLine(line string) error {
	if len(line) < 12 || !strings.HasPrefix(line, "HTTP/1.") || line[8] != ' ' {
		return malformed("status line %q", truncate(line))
	}
	switch line[7] {
	case '0', '1':
		h.major, h.minor = 1, int(line[7]-'0')
	default:
		return malformed("version %q", truncate(line[:8]))
	}
	code := line[9:12]
	if code[0] < '1' || code[0] > '5' || !isDigit(code[1]) || !isDigit(code[2]) {
		return malformed("status code %q", truncate(code))
	}
	if len(line) > 12 && line[12] != ' ' {
		return malformed("status line %q", truncate(line))
	}
	for i := 12; i < len(line); i++ {
		if c := line[i]; c < ' ' && c != '\t' || c == 0x7f {
			return malformed("control byte in the reason phrase")
		}
	}
	h.status = int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
	h.proto, h.statusText = line[:8], line[9:]
	return nil
}

// parseFields parses the field lines of a head or of a chunked body's trailer, up to
// its empty line.
func parseFields(s string) (http.Header, error) {
	n := strings.Count(s, "\n")
	hdr := make(http.Header, n)
	strs := make([]string, n)
	for {
		line, rest := cutLine(s)
		if line == "" {
			if rest != "" {
				return nil, malformed("bytes after the head's end")
			}
			return hdr, nil
		}
		s = rest
		if line[0] == ' ' || line[0] == '\t' {
			return nil, malformed("obsolete line folding")
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !validToken(name) {
			return nil, malformed("field line %q", truncate(line))
		}
		value = trimOWS(value)
		if !validFieldValue(value) {
			return nil, malformed("field %s has a byte no field value may hold", truncate(name))
		}
		key := canonicalKey(name)
		if vv := hdr[key]; vv == nil && len(strs) > 0 {
			strs[0] = value
			hdr[key], strs = strs[:1:1], strs[1:]
		} else {
			hdr[key] = append(vv, value)
		}
	}
}

// cutLine splits s after its first line, returning the line without its CRLF (or LF).
// A CR anywhere but before the LF stays in the line, where validation refuses it.
func cutLine(s string) (line, rest string) {
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		return s, ""
	}
	return strings.TrimSuffix(s[:i], "\r"), s[i+1:]
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
