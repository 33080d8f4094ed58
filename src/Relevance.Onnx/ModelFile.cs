using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace Relevance.Onnx;

/// <summary>An ONNX file read through a read-only memory map, so that its weights are decoded from the file's pages
/// straight into the layers' arrays: Google.Protobuf parses every message except the initializers' raw data, whose place
/// in the file is kept instead of a copy.</summary>
/// <remarks>Only the framing of the protobuf wire format (tags and lengths) is read here, to find where the initializers'
/// payloads sit; each other field is handed to Google.Protobuf with its tag, and merging fields one by one is parsing them
/// together (protobuf appends repeated fields and lets the last singular field win). The map lives while the model is
/// imported; a file truncated by another process meanwhile is outside what a read-only map can guard.</remarks>
internal sealed unsafe class ModelFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private GCHandle _pinned;
    private readonly byte* _start;
    private readonly int _length;
    private readonly Dictionary<TensorProto, (int Offset, int Length)> _raw = new(ReferenceEqualityComparer.Instance);

    /// <summary>The model, with the initializers' raw data left in the file (see <see cref="RawData"/>).</summary>
    public ModelProto Model { get; }

    private ModelFile(MemoryMappedFile? map, MemoryMappedViewAccessor? view, GCHandle pinned, byte* start, int length)
    {
        _map = map;
        _view = view;
        _pinned = pinned;
        _start = start;
        _length = length;
        try
        {
            Model = ParseModel();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Maps and parses a file of <paramref name="length"/> bytes (1 … 2 GiB, protobuf's limit).</summary>
    /// <exception cref="IOException">The file cannot be mapped.</exception>
    /// <exception cref="InvalidDataException">The file's framing is broken (a length past its message, a group).</exception>
    public static ModelFile Open(FileStream file, int length)
    {
        var map = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        MemoryMappedViewAccessor view;
        try
        {
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        }
        catch
        {
            map.Dispose();
            throw;
        }
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        return new ModelFile(map, view, default, pointer + view.PointerOffset, length);
    }

    /// <summary>Parses a model held in memory the same way, its bytes pinned while the model is imported.</summary>
    /// <exception cref="InvalidDataException">The bytes' framing is broken.</exception>
    public static ModelFile Of(byte[] bytes)
    {
        var pinned = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        return new ModelFile(null, null, pinned, (byte*)pinned.AddrOfPinnedObject(), bytes.Length);
    }

    /// <summary>A tensor's raw data: its place in the file for an initializer, else the bytes the message holds.</summary>
    public ReadOnlySpan<byte> RawData(TensorProto tensor) =>
        _raw.TryGetValue(tensor, out var raw) ? new ReadOnlySpan<byte>(_start + raw.Offset, raw.Length) : tensor.RawData.Span;

    public void Dispose()
    {
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
        if (_pinned.IsAllocated) _pinned.Free();
    }

    private ReadOnlySpan<byte> Bytes(int start, int end) => new(_start + start, end - start);

    private ModelProto ParseModel()
    {
        var model = new ModelProto();
        foreach (var field in Fields(0, _length))
            if (field.Number == ModelProto.GraphFieldNumber && field.WireType == WireFormat.WireType.LengthDelimited)
                ParseGraph(model.Graph ??= new GraphProto(), field);
            else model.MergeFrom(Bytes(field.Start, field.End));
        return model;
    }

    private void ParseGraph(GraphProto graph, Field field)
    {
        foreach (var member in Fields(field.Payload, field.End))
            if (member.Number == GraphProto.InitializerFieldNumber && member.WireType == WireFormat.WireType.LengthDelimited)
                graph.Initializer.Add(ParseInitializer(member));
            else graph.MergeFrom(Bytes(member.Start, member.End));
    }

    private TensorProto ParseInitializer(Field field)
    {
        var tensor = new TensorProto();
        foreach (var member in Fields(field.Payload, field.End))
            if (member.Number == TensorProto.RawDataFieldNumber && member.WireType == WireFormat.WireType.LengthDelimited)
                _raw[tensor] = (member.Payload, member.End - member.Payload);
            else tensor.MergeFrom(Bytes(member.Start, member.End));
        return tensor;
    }

    // One field of a message in the file: [Start, End) with its tag, and where its payload starts.
    private readonly record struct Field(int Number, WireFormat.WireType WireType, int Start, int Payload, int End);

    // The fields of the message in [start, end).
    private List<Field> Fields(int start, int end)
    {
        var fields = new List<Field>();
        var bytes = Bytes(0, end);
        var at = start;
        while (at < end)
        {
            var first = at;
            var tag = Varint(bytes, ref at);
            var type = (WireFormat.WireType)(tag & 7);
            var payload = at;
            switch (type)
            {
                case WireFormat.WireType.Varint: Varint(bytes, ref at); break;
                case WireFormat.WireType.Fixed64: at += 8; break;
                case WireFormat.WireType.Fixed32: at += 4; break;
                case WireFormat.WireType.LengthDelimited:
                    var length = Varint(bytes, ref at);
                    if (length > (ulong)(end - at)) throw new InvalidDataException($"a field at byte {first} is {length} bytes long, past the end of its message (byte {end}).");
                    payload = at;
                    at += (int)length;
                    break;
                default: throw new InvalidDataException($"a field at byte {first} has wire type {(int)type}, which ONNX does not use.");
            }
            if (at > end) throw new InvalidDataException($"a field at byte {first} runs past the end of its message (byte {end}).");
            fields.Add(new Field((int)(tag >> 3), type, first, payload, at));
        }
        return fields;
    }

    private static ulong Varint(ReadOnlySpan<byte> bytes, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= bytes.Length) throw new InvalidDataException("the file ends inside a number.");
            var b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException($"a number at byte {at} is longer than ten bytes.");
    }
}
