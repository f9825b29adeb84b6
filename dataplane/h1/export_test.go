package h1

import (
	"bufio"
	"bytes"
)

// ParseAnswerHead exposes the head parser and the framing checks to the fuzz test.
func ParseAnswerHead(data []byte, limit int) (status int, fields map[string][]string, chunked bool, length int64, err error) {
	br := bufioReader(data)
	buf, err := readHead(br, nil, limit)
	if err != nil {
		return 0, nil, false, 0, err
	}
	h, err := parseHead(string(buf))
	if err != nil {
		return 0, nil, false, 0, err
	}
	n, hasLength, chunked, err := framing(h)
	if err != nil {
		return 0, nil, false, 0, err
	}
	if !hasLength {
		n = -1
	}
	return h.status, h.header, chunked, n, nil
}

func bufioReader(data []byte) *bufio.Reader { return bufio.NewReaderSize(bytes.NewReader(data), 16) }
