package publish

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
)

// encodedResponse is a StreamResponse already encoded: the head of its snapshot field
// (1) and the snapshot's encoding, which the compiler built from the encodings of the
// routes it kept. Sending it neither walks a snapshot of thousands of routes again nor
// copies its encoding.
type encodedResponse struct{ head, snapshot []byte }

// newEncodedResponse wraps a snapshot's encoding as a StreamResponse's.
func newEncodedResponse(snapshot []byte) *encodedResponse {
	head := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.BytesType), uint64(len(snapshot)))
	return &encodedResponse{head: head, snapshot: snapshot}
}

// codec is gRPC's protobuf codec that sends an encodedResponse as it is.
type codec struct{ encoding.CodecV2 }

func newCodec() codec { return codec{encoding.GetCodecV2(proto.Name)} }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	if e, ok := v.(*encodedResponse); ok {
		return mem.BufferSlice{mem.SliceBuffer(e.head), mem.SliceBuffer(e.snapshot)}, nil
	}
	return c.CodecV2.Marshal(v)
}
