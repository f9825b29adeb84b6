package compile

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// requireEncodedMatchesSnapshots requires that res hands out, for every snapshot, the
// encoding proxies must receive: see requireEncodingOf.
func requireEncodedMatchesSnapshots(t testing.TB, res Result) {
	t.Helper()
	require.Len(t, res.Encoded, len(res.Snapshots), "one encoding per snapshot")
	for _, key := range sortedKeys(res.Snapshots) {
		requireEncodingOf(t, res.Snapshots[key], res.Encoded[key], "snapshot of Gateway "+key.String())
	}
}

// requireEncodingOf requires that encoded decodes to snap, that snap's version is the
// contract's content hash, and that encoded is byte for byte the deterministic protobuf
// encoding of snap, which the version is the hash of.
func requireEncodingOf(t testing.TB, snap *snapshotv1.Snapshot, encoded []byte, what string) {
	t.Helper()
	require.NotNil(t, encoded, "%s: no encoding", what)
	var decoded snapshotv1.Snapshot
	require.NoError(t, proto.Unmarshal(encoded, &decoded), "%s: the encoding does not decode", what)
	require.True(t, proto.Equal(snap, &decoded), "%s: the encoding does not decode to the snapshot", what)
	version, err := snapshotv1.ComputeVersion(snap)
	require.NoError(t, err, what)
	require.Equal(t, version, decoded.Version, "%s: the version is not the content hash", what)
	want, err := proto.MarshalOptions{Deterministic: true}.Marshal(snap)
	require.NoError(t, err, what)
	requireSameBytes(t, want, encoded, what+": the encoding is not proto.Marshal's")
}

// requireSameBytes compares two encodings and, when they differ, says where instead of
// printing both.
func requireSameBytes(t testing.TB, want, got []byte, what string) {
	t.Helper()
	if bytes.Equal(want, got) {
		return
	}
	at := 0
	for at < min(len(want), len(got)) && want[at] == got[at] {
		at++
	}
	window := func(b []byte) []byte { return b[at:min(len(b), at+16)] }
	require.Failf(t, what, "%d bytes, want %d; first difference at byte %d: % x, want % x",
		len(got), len(want), at, window(got), window(want))
}

// handEncoded lists the messages setVersionFromParts writes field by field rather than
// through proto.Marshal (the messages below them, ListenerTLS, Route, Upstream and
// JwtProvider, are marshaled whole), with the field numbers it writes and how a message
// of that type is placed in a snapshot. A field added to one of these messages must be
// written by setVersionFromParts and listed here.
var handEncoded = []struct {
	msg    protoreflect.MessageDescriptor
	fields []protoreflect.FieldNumber
	place  func(protoreflect.Message) *snapshotv1.Snapshot
}{
	{
		msg:    (*snapshotv1.Snapshot)(nil).ProtoReflect().Descriptor(),
		fields: []protoreflect.FieldNumber{1, 2, 3, 4, 5, 6, 7},
		place:  func(m protoreflect.Message) *snapshotv1.Snapshot { return m.Interface().(*snapshotv1.Snapshot) },
	},
	{
		msg:    (*snapshotv1.Listener)(nil).ProtoReflect().Descriptor(),
		fields: []protoreflect.FieldNumber{1, 2, 3, 4, 5, 6, 7},
		place: func(m protoreflect.Message) *snapshotv1.Snapshot {
			return &snapshotv1.Snapshot{Listeners: []*snapshotv1.Listener{m.Interface().(*snapshotv1.Listener)}}
		},
	},
	{
		msg:    (*snapshotv1.VirtualHost)(nil).ProtoReflect().Descriptor(),
		fields: []protoreflect.FieldNumber{1, 2, 3},
		place: func(m protoreflect.Message) *snapshotv1.Snapshot {
			vh := m.Interface().(*snapshotv1.VirtualHost)
			return &snapshotv1.Snapshot{Listeners: []*snapshotv1.Listener{{VirtualHosts: []*snapshotv1.VirtualHost{vh}}}}
		},
	},
}

// TestHandEncodedFieldsAreListed compares the fields each hand-encoded message has with
// the fields setVersionFromParts is known to write.
func TestHandEncodedFieldsAreListed(t *testing.T) {
	for _, he := range handEncoded {
		var have []protoreflect.FieldNumber
		fields := he.msg.Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			have = append(have, fd.Number())
			if !slices.Contains(he.fields, fd.Number()) {
				t.Errorf("field %s (%d) of message %s is not written by setVersionFromParts: "+
					"write it in controllers/compile/version.go and list it in handEncoded",
					fd.Name(), fd.Number(), he.msg.FullName())
			}
		}
		for _, n := range he.fields {
			if !slices.Contains(have, n) {
				t.Errorf("field %d of message %s is listed in handEncoded but the message has no such field", n, he.msg.FullName())
			}
		}
	}
}

// TestHandEncoderWritesEachField sets each field of each hand-encoded message alone
// (and everything below it) and requires setVersionFromParts to write the snapshot as
// proto.Marshal does.
func TestHandEncoderWritesEachField(t *testing.T) {
	for _, he := range handEncoded {
		fields := he.msg.Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			t.Run(fmt.Sprintf("%s/%s", he.msg.Name(), fd.Name()), func(t *testing.T) {
				for choice := range oneofChoices(fd) {
					m := newMessage(he.msg)
					setField(m, fd, choice, 0)
					snap := he.place(m)
					requireHandEncoding(t, snap, fmt.Sprintf("field %s (%d) of message %s, oneof choice %d, "+
						"is not written by setVersionFromParts as proto.Marshal writes it",
						fd.Name(), fd.Number(), he.msg.FullName(), choice))
				}
			})
		}
	}
}

// TestHandEncoderMatchesMarshal fills every field of a snapshot, down to its routes,
// once per member of its oneofs, and requires setVersionFromParts to write it as
// proto.Marshal does.
func TestHandEncoderMatchesMarshal(t *testing.T) {
	desc := (*snapshotv1.Snapshot)(nil).ProtoReflect().Descriptor()
	choices := maxOneofMembers(desc, map[protoreflect.FullName]bool{})
	require.Greater(t, choices, 1, "the snapshot has oneofs below it")
	for choice := range choices {
		m := newMessage(desc)
		populate(m, choice, 0)
		requireHandEncoding(t, m.Interface().(*snapshotv1.Snapshot), fmt.Sprintf("snapshot with oneof choice %d", choice))
	}
}

// requireHandEncoding runs setVersionFromParts on snap, with no kept route encodings
// and then with them, and requires the result to be proto.Marshal's.
func requireHandEncoding(t *testing.T, snap *snapshotv1.Snapshot, what string) {
	t.Helper()
	encoded, err := setVersionFromParts(snap, nil, 0)
	require.NoError(t, err, what)
	requireEncodingOf(t, snap, encoded, what)

	snap.Version = "stale"
	encoded, err = setVersionFromParts(snap, keptRoutes(snap), len(encoded))
	require.NoError(t, err, what)
	requireEncodingOf(t, snap, encoded, what+", with kept route encodings")
}

// keptRoutes are the route encodings the compiler keeps for snap's virtual hosts.
func keptRoutes(snap *snapshotv1.Snapshot) map[*snapshotv1.VirtualHost][][]byte {
	kept := map[*snapshotv1.VirtualHost][][]byte{}
	for _, l := range snap.Listeners {
		for _, vh := range l.VirtualHosts {
			for _, r := range vh.Routes {
				kept[vh] = append(kept[vh], encodeRoute(r))
			}
		}
	}
	return kept
}

// newMessage is an empty message of the generated type md describes.
func newMessage(md protoreflect.MessageDescriptor) protoreflect.Message {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
	if err != nil {
		panic(err)
	}
	return mt.New()
}

// maxDepth stops populate in a message type that contains itself.
const maxDepth = 10

// populate sets every field of m to values other than the defaults. choice picks the
// member of each oneof that is set: member choice modulo the oneof's size.
func populate(m protoreflect.Message, choice, depth int) {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() && od.Fields().Get(choice%od.Fields().Len()) != fd {
			continue
		}
		setField(m, fd, choice, depth)
	}
}

// setField sets fd of m: a scalar to a value other than its default, a list or map to
// two entries (one with the default value, which lists still carry), a message to a
// populated one.
func setField(m protoreflect.Message, fd protoreflect.FieldDescriptor, choice, depth int) {
	if depth > maxDepth {
		return
	}
	switch {
	case fd.IsMap():
		entries := m.Mutable(fd).Map()
		for i := range 2 {
			entries.Set(scalar(fd.MapKey(), i).MapKey(), element(entries.NewValue(), fd.MapValue(), i, choice, depth))
		}
	case fd.IsList():
		list := m.Mutable(fd).List()
		for i := range 2 {
			list.Append(element(list.NewElement(), fd, i, choice, depth))
		}
	case fd.Message() != nil:
		populate(m.Mutable(fd).Message(), choice, depth+1)
	default:
		m.Set(fd, scalar(fd, 1))
	}
}

// element is entry i of a list or map: i 0 holds the default value (an empty message),
// i 1 a set one. fresh is a new value of the entry's type.
func element(fresh protoreflect.Value, fd protoreflect.FieldDescriptor, i, choice, depth int) protoreflect.Value {
	if fd.Message() == nil {
		return scalar(fd, i)
	}
	if i > 0 {
		populate(fresh.Message(), choice+i, depth+1)
	}
	return fresh
}

// scalar is the zero value of fd's kind when i is 0, and a value other than the zero
// otherwise, chosen to need long encodings (negative and large varints, multi-byte
// UTF-8).
func scalar(fd protoreflect.FieldDescriptor, i int) protoreflect.Value {
	set := i != 0
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(set)
	case protoreflect.EnumKind:
		values := fd.Enum().Values()
		return protoreflect.ValueOfEnum(pick(set, values.Get(values.Len()-1).Number()))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(pick[int32](set, -300000))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(pick[int64](set, -1<<40))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(pick[uint32](set, math.MaxUint32))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(pick[uint64](set, math.MaxUint64))
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(pick[float32](set, 1.5))
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(pick(set, -2.5))
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(pick(set, fmt.Sprintf("%s·%d", fd.Name(), i)))
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes(pick(set, []byte{0, 0xff, byte(fd.Number())}))
	default:
		panic(fmt.Sprintf("field %s has kind %s, which the test does not fill", fd.FullName(), fd.Kind()))
	}
}

// pick is v when set, the zero value otherwise.
func pick[T any](set bool, v T) T {
	if set {
		return v
	}
	var zero T
	return zero
}

// oneofChoices is how many variants of fd's value populate must build for every oneof
// member below fd to be set once.
func oneofChoices(fd protoreflect.FieldDescriptor) int {
	seen := map[protoreflect.FullName]bool{}
	n := 1
	if fd.IsMap() {
		fd = fd.MapValue()
	}
	if fd.Message() != nil {
		n = max(n, maxOneofMembers(fd.Message(), seen))
	}
	return n
}

// maxOneofMembers is the size of the largest oneof in md or in a message below it.
func maxOneofMembers(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool) int {
	if seen[md.FullName()] {
		return 1
	}
	seen[md.FullName()] = true
	n := 1
	oneofs := md.Oneofs()
	for i := range oneofs.Len() {
		n = max(n, oneofs.Get(i).Fields().Len())
	}
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.IsMap() {
			fd = fd.MapValue()
		}
		if fd.Message() != nil {
			n = max(n, maxOneofMembers(fd.Message(), seen))
		}
	}
	return n
}

// TestHandEncoderFailsWhereMarshalFails puts a string that is not UTF-8, which
// proto.Marshal refuses and proxies could not decode, in each string field of the
// hand-encoded messages and in a route, and requires setVersionFromParts to refuse it
// too, kept route encodings or not.
func TestHandEncoderFailsWhereMarshalFails(t *testing.T) {
	for name, snap := range notUTF8Snapshots() {
		_, err := proto.MarshalOptions{Deterministic: true}.Marshal(snap)
		require.Error(t, err, "%s: proto.Marshal refuses it", name)
		_, err = setVersionFromParts(snap, nil, 0)
		require.Error(t, err, "%s: setVersionFromParts refuses it", name)
		_, err = setVersionFromParts(snap, keptRoutes(snap), 0)
		require.Error(t, err, "%s: setVersionFromParts refuses it with kept route encodings", name)
	}
}

// notUTF8Snapshots are snapshots with one string that is not UTF-8: in a route, or in
// one string field of a hand-encoded message (but the version, which the encoder sets).
func notUTF8Snapshots() map[string]*snapshotv1.Snapshot {
	const bad = "bad\xff"
	out := map[string]*snapshotv1.Snapshot{"route name": {Listeners: []*snapshotv1.Listener{{
		VirtualHosts: []*snapshotv1.VirtualHost{{Routes: []*snapshotv1.Route{{Name: bad}}}},
	}}}}
	for _, he := range handEncoded {
		fields := he.msg.Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			if fd.Kind() != protoreflect.StringKind || fd.FullName() == "claimgate.snapshot.v1.Snapshot.version" {
				continue
			}
			m := newMessage(he.msg)
			if fd.IsList() {
				m.Mutable(fd).List().Append(protoreflect.ValueOfString(bad))
			} else {
				m.Set(fd, protoreflect.ValueOfString(bad))
			}
			out[fmt.Sprintf("field %s of %s", fd.Name(), he.msg.Name())] = he.place(m)
		}
	}
	return out
}
