package ctlserver

import (
	"bytes"
	"context"
	"io"
)

// recorder is a replier that keeps the reply, for tests of the handlers.
type recorder struct {
	code        int
	contentType string
	body        bytes.Buffer
}

func (rec *recorder) reply(status int, contentType string, body []byte) {
	rec.code, rec.contentType = status, contentType
	rec.body.Write(body)
}

func (rec *recorder) stream(status int, contentType string) io.Writer {
	rec.code, rec.contentType = status, contentType
	return &rec.body
}

// handleForTest runs one request from p through the server's handlers.
func handleForTest(ctx context.Context, s *Server, p peer, method, path string, body []byte) *recorder {
	rec := &recorder{}
	s.handle(rec, &request{method: method, path: path, peer: p, ctx: ctx,
		body: bytes.NewReader(body), length: int64(len(body))})
	return rec
}
