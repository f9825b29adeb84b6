package publish

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
)

// encodedResponse is a StreamResponse already encoded: its snapshot field (1) around
// the snapshot's encoding, which the compiler built from the encodings of the routes
// it kept. Sending it does not walk a snapshot of thousands of routes again.
type encodedResponse struct{ b []byte }

// newEncodedResponse wraps a snapshot's encoding as a StreamResponse's.
func newEncodedResponse(snapshot []byte) *encodedResponse {
	b := make([]byte, 0, len(snapshot)+protowire.SizeTag(1)+protowire.SizeVarint(uint64(len(snapshot))))
	return &encodedResponse{b: protowire.AppendBytes(protowire.AppendTag(b, 1, protowire.BytesType), snapshot)}
}

// codec is gRPC's protobuf codec that sends an encodedResponse as it is.
type codec struct{ encoding.CodecV2 }

func newCodec() codec { return codec{encoding.GetCodecV2(proto.Name)} }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	if e, ok := v.(*encodedResponse); ok {
		return mem.BufferSlice{mem.SliceBuffer(e.b)}, nil
	}
	return c.CodecV2.Marshal(v)
}
