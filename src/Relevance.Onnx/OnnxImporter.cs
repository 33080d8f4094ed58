using System.Collections.Immutable;
using Google.Protobuf;
using Onnx;

namespace Relevance.Onnx;

/// <summary>Reads an ONNX model (opsets 7–18) into a Relevance layer graph.</summary>
/// <remarks>Weights become layers; shape computations (PyTorch's dynamic flatten: Shape, Gather, Unsqueeze, Concat feeding
/// Reshape) are folded as constants; a bias Add after Conv or MatMul is folded into that layer; Dropout and Identity become
/// <see cref="Identity"/>; a final Softmax is stripped so the logits are explained. Anything else is an
/// <see cref="UnsupportedModelException"/> naming the node — nothing is skipped silently.</remarks>
public sealed class OnnxImporter
{
    /// <summary>The operators the importer understands.</summary>
    public static readonly ImmutableArray<string> SupportedOperators =
    [
        "Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant", "ConstantOfShape (folded)", "Conv", "Dropout", "Equal (folded)", "Expand", "Flatten", "Gather", "Gemm", "Mod (folded)", "Not (folded)", "Range (folded)", "ScatterND (folded)",
        "GlobalAveragePool", "HardSigmoid", "HardSwish", "Identity", "LayerNormalization (last axis)", "LeakyRelu", "LRN", "MatMul (of two computed tensors too)", "MaxPool", "Mul (SiLU, HardSwish, gating)", "Div/Erf/Add/Mul (GELU)", "Einsum (products of two operands)", "Mul/Pow/Tanh/Add (GELU's tanh form)", "Pad (constant)",
        "ReduceMean (spatial; LayerNorm's decomposed form)", "Relu", "Reshape", "Shape", "Sigmoid", "Slice", "Softmax (any axis from opset 13; a final one is stripped)", "Split", "Squeeze", "Sum", "Tanh",
        "Transpose", "Unsqueeze", "Where (folded)",
    ];

    private readonly Dictionary<string, ConstantTensor> _constants = [];
    // Initializers not decoded yet: each is decoded when a node first reads it, in the layout that node needs.
    private readonly Dictionary<string, TensorProto> _initializers = [];
    private RawDataOf? _rawData;
    private readonly Dictionary<string, string> _producer = [];
    private readonly Dictionary<string, Shape> _shapes = [];
    private readonly Dictionary<string, Shape> _nodeShapes = [];
    private readonly List<Node> _nodes = [];
    private readonly HashSet<string> _names = [Network.InputName];
    private readonly Dictionary<string, string> _softmaxInput = [];
    // The graph's nodes by the tensors they produce and read, and the nodes a recognised pattern took in (see OpContext.Erf).
    private readonly Dictionary<string, NodeProto> _producerProto = [];
    private readonly Dictionary<string, List<NodeProto>> _readers = [];
    private readonly HashSet<NodeProto> _fused = [];
    // Nodes whose ONNX tensor has no batch axis of its own: attention moves the batch axis of 1 among the others and folds it
    // into the heads' axis ([1, T, D] → [T, 1, D] → [T, H, D/H]); the node's shape is then the whole ONNX shape.
    private readonly HashSet<string> _batchless = [];
    private long _opset;
    // A text model's token ids (the input and casts of it) and the embedding lookup that made the network's input.
    private readonly HashSet<string> _tokenIds = [];
    private (string Tensor, EmbeddingTable Table)? _embedding;
    private bool _readsIdValues;

    private OnnxImporter() { }

    /// <summary>Imports a model file.</summary>
    /// <exception cref="ModelFormatException">The file is missing, empty, truncated or not ONNX.</exception>
    /// <exception cref="UnsupportedModelException">The model uses an operator or attribute that is not supported.</exception>
    public static ImportedModel Load(string path) => Read(path, null).Model;

    /// <summary>Imports a text model (a BERT-style encoder) for one token sequence: its integer inputs (ids, attention mask,
    /// token types, positions) take the sequence's values, and the word embeddings the ids look up become the network's input.</summary>
    /// <exception cref="ModelFormatException">The file is missing, empty, truncated or not ONNX.</exception>
    /// <exception cref="UnsupportedModelException">The model uses an operator that is not supported, or its ids reach no embedding table.</exception>
    /// <exception cref="InvalidInputException">The sequence does not fit the model (its length, an id outside the vocabulary).</exception>
    public static ImportedTextModel Load(string path, TokenInput tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return Read(path, tokens).Text!;
    }

    private static (ImportedModel Model, ImportedTextModel? Text) Read(string path, TokenInput? tokens)
    {
        // Mapped rather than read, so that the file's bytes are never copied: weights are decoded from its pages (ModelFile).
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException($"Cannot read the model '{path}': {e.Message}", e);
        }
        var name = Path.GetFileName(path);
        using (stream)
        {
            if (stream.Length == 0) throw new ModelFormatException($"'{name}' is empty, not an ONNX model.");
            if (stream.Length > int.MaxValue)
                throw new ModelFormatException($"'{name}' is {stream.Length} bytes, more than the 2 GiB a protobuf file can hold; models whose weights are kept in external files are not supported.");
            using var file = OpenMapped(stream, name);
            return Parse(() => file.Model, name, file.RawData, tokens);
        }
    }

    private static ModelFile OpenMapped(FileStream stream, string name) => Framed(name, () => ModelFile.Open(stream, (int)stream.Length));

    // Opens a model file, its read and framing errors reported as the model's.
    private static ModelFile Framed(string name, Func<ModelFile> open)
    {
        try
        {
            return open();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException($"Cannot read the model '{name}': {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidDataException or InvalidProtocolBufferException)
        {
            throw new ModelFormatException($"'{name}' is not a readable ONNX model (corrupt or truncated protobuf): {e.Message}", e);
        }
    }

    /// <summary>Imports a model from its bytes; <paramref name="name"/> is used in messages.</summary>
    public static ImportedModel Load(ReadOnlySpan<byte> bytes, string name = "model")
    {
        if (bytes.IsEmpty) throw new ModelFormatException($"'{name}' is empty, not an ONNX model.");
        var copy = bytes.ToArray();
        using var file = Framed(name, () => ModelFile.Of(copy));
        return Parse(() => file.Model, name, file.RawData, null).Model;
    }

    /// <summary>Imports a text model from its bytes for one token sequence, as <see cref="Load(string, TokenInput)"/> does.</summary>
    public static ImportedTextModel Load(ReadOnlySpan<byte> bytes, TokenInput tokens, string name = "model")
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (bytes.IsEmpty) throw new ModelFormatException($"'{name}' is empty, not an ONNX model.");
        var copy = bytes.ToArray();
        using var file = Framed(name, () => ModelFile.Of(copy));
        return Parse(() => file.Model, name, file.RawData, tokens).Text!;
    }

    // Where an initializer's raw data is: in the mapped file, or (null) in the message.
    private delegate ReadOnlySpan<byte> RawDataOf(TensorProto tensor);

    private static (ImportedModel Model, ImportedTextModel? Text) Parse(Func<ModelProto> parse, string name, RawDataOf? rawData, TokenInput? tokens)
    {
        ModelProto model;
        try
        {
            model = parse();
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or ArgumentException or InvalidOperationException)
        {
            throw new ModelFormatException($"'{name}' is not a readable ONNX model (corrupt or truncated protobuf): {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new ModelFormatException($"Cannot read the model '{name}': {e.Message}", e);
        }
        if (model.Graph is null || model.Graph.Node.Count == 0)
            throw new ModelFormatException($"'{name}' has no graph: it is not an ONNX model, or it is truncated.");
        try
        {
            return new OnnxImporter().Import(model, name, rawData, tokens);
        }
        catch (Exception e) when (IsMalformation(e))
        {
            throw new ModelFormatException($"'{name}' is malformed: {e.Message}", e);
        }
    }

    /// <summary>Reads one initializer of a model (e.g. a preprocessing model's mean image) as dimensions and values.</summary>
    public static (ImmutableArray<long> Dims, ImmutableArray<double> Values) ReadInitializer(string path, string initializer)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException($"Cannot read '{path}' as ONNX: {e.Message}", e);
        }
        var tensor = model.Graph?.Initializer.FirstOrDefault(t => t.Name == initializer)
            ?? throw new ModelFormatException($"'{path}' has no initializer named '{initializer}'.");
        var value = ConstantTensor.From(tensor, $"initializer '{initializer}'");
        return (value.Dims, [.. value.Values]);
    }

    private (ImportedModel Model, ImportedTextModel? Text) Import(ModelProto model, string name, RawDataOf? rawData, TokenInput? tokens)
    {
        _opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(1).Max();
        if (_opset < 7 || _opset > 18)
            throw new UnsupportedModelException(name, "model", $"opset {_opset} is not supported (supported: 7–18).");
        var graph = model.Graph;
        _rawData = rawData;
        foreach (var init in graph.Initializer) _initializers[init.Name] = init;
        var inputs = graph.Input.Where(i => !IsConstant(i.Name)).ToList();
        var (inputName, dims, half) = ("", Array.Empty<long>(), false);
        if (tokens is not null) _tokenIds.Add(BindTokens(inputs, tokens, name));
        else
        {
            if (inputs.FirstOrDefault(i => (TensorProto.Types.DataType?)i.Type?.TensorType?.ElemType is TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Int32) is { } ids)
                throw new UnsupportedModelException(name, "input", $"input '{ids.Name}' holds integer token ids: this is a text model, imported for a token sequence (OnnxImporter.Load(path, TokenInput), TextExplainer, relevance explain with a .txt or an int64 .npy of ids).");
            if (inputs.Count != 1)
                throw new UnsupportedModelException(name, "model", $"the graph has {inputs.Count} non-constant inputs; exactly one (the image or vector to explain) is supported.");
            var input = inputs[0];
            (inputName, (dims, half)) = (input.Name, InputType(input, name));
            var sampleShape = new Shape([.. dims.Skip(1).Select(d => (int)d)]);
            _producer[input.Name] = Network.InputName;
            _shapes[input.Name] = sampleShape;
            _nodeShapes[Network.InputName] = sampleShape;
        }

        var outputs = graph.Output.Select(o => o.Name).ToHashSet();
        foreach (var node in graph.Node)
        {
            foreach (var o in node.Output) _producerProto[o] = node;
            foreach (var i in node.Input) (_readers.TryGetValue(i, out var list) ? list : _readers[i] = []).Add(node);
        }
        _graphOutputs = outputs;
        void TranslateChecked(NodeProto node)
        {
            try
            {
                Translate(node, outputs);
            }
            catch (Exception e) when (IsMalformation(e))
            {
                throw new ModelFormatException($"ONNX node '{Label(node)}' ({node.OpType}) is malformed: {e.Message}", e);
            }
        }
        // Constants first: they read nothing, and a pattern recognised at one node (GELU, a decomposed LayerNorm) may need one
        // that an exporter wrote just before a later node of it. The nodes a pattern took in are skipped when reached.
        foreach (var node in graph.Node.Where(n => n.OpType == "Constant")) TranslateChecked(node);
        try
        {
            foreach (var node in graph.Node.Where(n => n.OpType != "Constant" && !_fused.Contains(n))) TranslateChecked(node);
        }
        catch (UnsupportedModelException) when (tokens is not null && graph.Initializer.FirstOrDefault(t =>
            t.Dims.Count == 2 && (TensorProto.Types.DataType)t.DataType is TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Float16
            && t.Name.Contains("position", StringComparison.OrdinalIgnoreCase) && t.Dims[0] < tokens.Ids.Length) is { } positions)
        {
            // A sequence longer than the position table leaves shapes that do not meet; the table is what to name.
            throw new InvalidInputException($"The sequence has {tokens.Ids.Length} tokens; the model's position embeddings '{positions.Name}' hold {positions.Dims[0]}.");
        }

        if (tokens is not null)
        {
            if (_embedding is not { } e)
                throw new UnsupportedModelException(name, "model", $"the token ids '{_tokenIds.First()}' reach no embedding lookup (a Gather of rows of a constant [vocabulary × width] table).");
            (inputName, dims) = (e.Tensor, [1, .. _nodeShapes[Network.InputName].Dims.Select(d => (long)d)]);
        }
        var outputName = graph.Output.Count > 0 ? graph.Output[0].Name : throw new ModelFormatException($"'{name}' declares no output.");
        var stripped = _softmaxInput.TryGetValue(outputName, out var logits);
        var explained = stripped ? logits! : outputName;
        if (!_producer.TryGetValue(explained, out var outputNode) || outputNode == Network.InputName)
            throw new UnsupportedModelException(name, "model", $"the output '{outputName}' is not computed from the input by supported layers.");
        Network network;
        try
        {
            network = Prune(new Network(_nodeShapes[Network.InputName], [.. _nodes], outputNode));
        }
        catch (NetworkException e)
        {
            throw new UnsupportedModelException(name, "model", e.Message);
        }
        var imported = new ImportedModel(network, inputName, [.. dims], half, explained, stripped, _opset);
        return (imported, tokens is null ? null : new ImportedTextModel(imported, tokens, _embedding!.Value.Table, _tokenIds.First(), _readsIdValues));
    }

    // Gives each integer input of a text model its value for the sequence (ids; an attention mask, token types and positions,
    // by name, defaulting to all ones, zeros and 0…T−1), as constants; returns the ids' input.
    private string BindTokens(List<ValueInfoProto> inputs, TokenInput tokens, string name)
    {
        var length = tokens.Ids.Length;
        string? ids = null;
        foreach (var input in inputs)
        {
            var tensor = input.Type?.TensorType ?? throw new UnsupportedModelException(name, "input", $"input '{input.Name}' is not a tensor.");
            if ((TensorProto.Types.DataType)tensor.ElemType is not (TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Int32))
                throw new UnsupportedModelException(name, "input", $"input '{input.Name}' has element type {(TensorProto.Types.DataType)tensor.ElemType}; a text model's inputs are integer token ids, masks and types.");
            var fixedDims = tensor.Shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1).ToArray() ?? [];
            if (fixedDims.Length != 2 || fixedDims[0] is not (1 or -1))
                throw new UnsupportedModelException(name, "input", $"input '{input.Name}' has shape [{string.Join("×", fixedDims)}]; a text model's inputs are [batch of 1 × sequence].");
            if (fixedDims[1] != -1 && fixedDims[1] != length)
                throw new InvalidInputException($"The model's input '{input.Name}' takes sequences of exactly {fixedDims[1]} tokens; the sequence has {length}.");
            var role = TokenInput.RoleOf(input.Name);
            var values = tokens.Values(role);
            if (role == TokenRole.Ids)
                ids = ids is null ? input.Name : throw new UnsupportedModelException(name, "input", $"inputs '{ids}' and '{input.Name}' both look like token ids; the other integer inputs are recognised by name (mask, type or segment, position).");
            SetConstant(input.Name, new ConstantTensor([1, length], [.. values.Select(v => (double)v)], Integer: true));
        }
        return ids ?? throw new UnsupportedModelException(name, "input", $"no input holds token ids: the inputs are {string.Join(", ", inputs.Select(i => $"'{i.Name}'"))} (a mask, token types or positions by their names).");
    }

    /// <summary>Translates a node a pattern is rewritten into (Einsum's transposes, reshapes and MatMul), as a graph node would be.</summary>
    internal void TranslateSynthetic(NodeProto node) => Translate(node, _graphOutputs);

    private HashSet<string> _graphOutputs = [];

    /// <summary>Whether a text model is being imported (its input is the word embeddings).</summary>
    internal bool IsTextModel => _tokenIds.Count > 0;

    /// <summary>Whether a tensor holds the token ids (the ids input, or a cast of it).</summary>
    internal bool IsTokenIds(string tensor) => _tokenIds.Contains(tensor);

    /// <summary>A cast of the token ids: the same ids.</summary>
    internal void CastTokenIds(string ids, string tensor)
    {
        _tokenIds.Add(tensor);
        _constants[tensor] = _constants[ids];
    }

    /// <summary>A constant's dimensions, without reading its values (the token ids' shape is not their values).</summary>
    internal ImmutableArray<long> ConstantDims(string tensor, string where, string op) =>
        _tokenIds.Contains(tensor) ? _constants[tensor].Dims : Constant(tensor, where, op).Dims;

    /// <summary>The rows of an embedding table the token ids pick, made the network's input: [sequence × width].</summary>
    internal void EmbedTokens(string tensor, string tableName, string idsName, string where, string op)
    {
        if (_embedding is not null)
            throw new UnsupportedModelException(where, op, $"a second embedding lookup reads the token ids (the first made '{_embedding.Value.Tensor}'); one table is explained.");
        var table = Constant(tableName, where, op);
        var ids = _constants[idsName];
        if (table.Dims.Length != 2 || table.Integer)
            throw new UnsupportedModelException(where, op, $"the token ids index '{tableName}' of shape [{string.Join("×", table.Dims)}]; an embedding table is a float [vocabulary × width] matrix.");
        var embeddings = new EmbeddingTable(tableName, (int)table.Dims[1], [.. table.Values.ToSingles()]);
        // Ids outside the table are refused here, before the rest of the graph is read.
        embeddings.Rows([.. ids.Values.Select(v => (long)v)]);
        Release(tableName);
        var shape = new Shape([ids.Values.Length, embeddings.Width]);
        _embedding = (tensor, embeddings);
        _producer[tensor] = Network.InputName;
        _shapes[tensor] = shape;
        _nodeShapes[Network.InputName] = shape;
    }

    private static (long[] Dims, bool Half) InputType(ValueInfoProto input, string name)
    {
        var tensor = input.Type?.TensorType ?? throw new UnsupportedModelException(name, "input", $"input '{input.Name}' is not a tensor.");
        var type = (TensorProto.Types.DataType)tensor.ElemType;
        if (type is not (TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Float16))
            throw new UnsupportedModelException(name, "input", $"input '{input.Name}' has element type {type}; supported: float, float16.");
        var dims = tensor.Shape?.Dim.Select((d, i) => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : i == 0 ? 1 : -1).ToArray()
            ?? throw new UnsupportedModelException(name, "input", $"input '{input.Name}' has no shape.");
        if (dims.Length < 2 || dims[0] != 1 || dims.Skip(1).Any(d => d <= 0 || d > int.MaxValue))
            throw new UnsupportedModelException(name, "input", $"input '{input.Name}' has shape [{string.Join("×", dims)}]; supported: a batch axis of 1 (or symbolic) followed by fixed sizes.");
        return (dims, type == TensorProto.Types.DataType.Float16);
    }

    private void Translate(NodeProto node, HashSet<string> graphOutputs)
    {
        var where = Label(node);
        if (node.Domain is not ("" or "ai.onnx"))
            throw new UnsupportedModelException(where, node.OpType, $"operators of domain '{node.Domain}' are not supported.");
        var a = new Attributes(node, where);
        var op = new OpContext(this, node, where, a);
        switch (node.OpType)
        {
            case "Constant": op.Constant(); break;
            case "Shape": op.ShapeOf(); break;
            case "Gather": op.Gather(); break;
            case "Unsqueeze": op.Unsqueeze(); break;
            case "Squeeze": op.Squeeze(); break;
            case "Cast": op.Cast(); break;
            case "Conv": op.Conv(); break;
            case "Gemm": op.Gemm(); break;
            case "MatMul": op.MatMul(graphOutputs); break;
            case "Add" or "Sum": op.Add(); break;
            case "Relu": a.Only(); op.Unary(new ReLU()); break;
            case "Sigmoid": a.Only(); op.Unary(new Sigmoid()); break;
            case "Tanh": a.Only(); op.Unary(new Tanh()); break;
            case "HardSigmoid": a.Only("alpha", "beta"); op.Unary(new HardSigmoid(a.Float("alpha", 0.2f), a.Float("beta", 0.5f))); break;
            case "HardSwish": a.Only(); op.Unary(new HardSwish()); break;
            case "LeakyRelu": a.Only("alpha"); op.Unary(new LeakyReLU(a.Float("alpha", 0.01f))); break;
            case "Clip": op.Clip(); break;
            case "Mul" or "Sub" or "Div": op.Arithmetic(graphOutputs); break;
            case "Pow": op.Pow(graphOutputs); break;
            case "Pad": op.Pad(); break;
            case "ReduceMean": op.ReduceMean(graphOutputs); break;
            case "Transpose": op.Transpose(); break;
            case "Split": op.Split(); break;
            case "Slice": op.SliceOp(); break;
            case "MaxPool" or "AveragePool": op.Pool(); break;
            case "GlobalAveragePool": op.GlobalAveragePool(); break;
            case "Flatten": op.Flatten(); break;
            case "Reshape": op.Reshape(); break;
            case "Concat": op.Concat(); break;
            case "BatchNormalization": op.BatchNormalization(); break;
            case "LRN": op.Lrn(); break;
            case "LayerNormalization": op.LayerNormalization(); break;
            case "Dropout" or "Identity": op.Unary(new Identity(node.OpType)); break;
            case "Erf": op.Erf(graphOutputs); break;
            case "Softmax" when node.Output.Count == 1 && graphOutputs.Contains(node.Output[0]):
                _softmaxInput[node.Output[0]] = node.Input[0];
                break;
            case "Softmax": op.Softmax(); break;
            case "ConstantOfShape": op.ConstantOfShape(); break;
            case "Equal": op.EqualOp(); break;
            case "Mod": op.ModOp(); break;
            case "Where": op.WhereOp(); break;
            case "Expand": op.Expand(); break;
            case "Range": op.RangeOp(); break;
            case "Not": op.NotOp(); break;
            case "ScatterND": op.ScatterNdOp(); break;
            case "Einsum": op.Einsum(graphOutputs); break;
            default:
                throw new UnsupportedModelException(where, node.OpType,
                    $"this operator is not supported. Supported: {string.Join(", ", SupportedOperators)}.");
        }
    }

    // How messages name a node: its name, or its first output when it has none.
    private static string Label(NodeProto node) => string.IsNullOrEmpty(node.Name) ? node.Output.FirstOrDefault() ?? node.OpType : node.Name;

    // A damaged file can hold values no exporter writes (sizes that overflow, indices out of range, inconsistent weights);
    // the exceptions they cause are reported as a malformed model rather than as themselves.
    private static bool IsMalformation(Exception e) =>
        e is ArgumentException and not InvalidInputException or OverflowException or IndexOutOfRangeException or KeyNotFoundException or InvalidOperationException;

    // Keeps only the nodes the output depends on (e.g. a Conv whose bias Add was folded into a copy).
    private static Network Prune(Network network)
    {
        var needed = new HashSet<string> { network.Output };
        foreach (var node in network.Nodes.Reverse())
            if (needed.Contains(node.Name))
                foreach (var i in node.Inputs) needed.Add(i);
        return new Network(network.InputShape, [.. network.Nodes.Where(n => needed.Contains(n.Name))], network.Output);
    }

    internal bool IsConstant(string tensor) => _constants.ContainsKey(tensor) || _initializers.ContainsKey(tensor);

    internal ConstantTensor Constant(string tensor, string where, string op)
    {
        if (_tokenIds.Contains(tensor)) _readsIdValues = true;
        if (_constants.TryGetValue(tensor, out var c)) return c;
        if (!_initializers.Remove(tensor, out var init))
            throw new UnsupportedModelException(where, op, $"input '{tensor}' must be a constant (an initializer or a folded shape computation).");
        var value = ConstantTensor.From(init, RawData(init), $"initializer '{init.Name}'");
        // The decoded values are all that is needed: bytes the message holds can go while the import goes on.
        init.RawData = ByteString.Empty;
        return _constants[tensor] = value;
    }

    /// <summary>A float32 matrix initializer not read before, as its transpose times <paramref name="alpha"/>, decoded straight
    /// into that layout (a Gemm's transB weights: no decoded copy beside the transposed one); null for any other tensor.</summary>
    internal (ImmutableArray<long> Dims, ParameterArray Values)? TransposedInitializer(string tensor, float alpha)
    {
        if (!_initializers.TryGetValue(tensor, out var init)) return null;
        var values = ConstantTensor.TransposedSingles(init, RawData(init), alpha, $"initializer '{init.Name}'");
        return values is null ? null : ([.. init.Dims.Reverse()], ParameterArray.Own(values));
    }

    private ReadOnlySpan<byte> RawData(TensorProto init) => _rawData is null ? init.RawData.Span : _rawData(init);

    /// <summary>Drops a decoded constant that only the node being translated reads, once its layer holds its own copy.</summary>
    internal void Release(string tensor)
    {
        if (ReadersOf(tensor).Count == 1) _constants.Remove(tensor);
    }

    internal void SetConstant(string tensor, ConstantTensor value)
    {
        _initializers.Remove(tensor);
        _constants[tensor] = value;
    }

    internal (string Node, Shape Shape) Graph(string tensor, string where, string op) =>
        _producer.TryGetValue(tensor, out var n) ? (n, _shapes[tensor])
        : IsConstant(tensor)
            ? throw new UnsupportedModelException(where, op, $"input '{tensor}' is a constant where a computed tensor is expected.")
            : throw new ModelFormatException($"ONNX node '{where}' ({op}) reads '{tensor}', which no earlier node produces.");

    internal Node? ProducerNode(string node) => _nodes.FirstOrDefault(n => n.Name == node);

    /// <summary>The ONNX node that produces a tensor, or null for the graph's input, initializers and unknown names.</summary>
    internal NodeProto? ProducerOf(string tensor) => _producerProto.GetValueOrDefault(tensor);

    /// <summary>The ONNX nodes that read a tensor.</summary>
    internal IReadOnlyList<NodeProto> ReadersOf(string tensor) => _readers.TryGetValue(tensor, out var list) ? list : [];

    /// <summary>Marks nodes a recognised pattern took in: they are not translated on their own.</summary>
    internal void Fuse(IEnumerable<NodeProto> nodes) => _fused.UnionWith(nodes);

    /// <summary>Whether a computed tensor's ONNX shape is its node's shape, with no batch axis before it.</summary>
    internal bool IsBatchless(string tensor) => _batchless.Contains(_producer[tensor]);

    /// <summary>A computed tensor's ONNX shape: its node's shape after the batch axis of 1, unless it has none.</summary>
    internal long[] OnnxDims(string tensor) =>
        IsBatchless(tensor) ? [.. _shapes[tensor].Dims.Select(d => (long)d)] : [1, .. _shapes[tensor].Dims.Select(d => (long)d)];

    /// <summary>Adds a layer reading the given nodes and maps the ONNX output tensor to it; the output lacks a batch axis
    /// when every input does.</summary>
    internal void Emit(string tensor, Layer layer, string where, string op, params string[] inputs) => Emit(tensor, layer, where, op, null, inputs);

    /// <summary>Adds a layer reading the given nodes and maps the ONNX output tensor to it; the output lacks a batch axis
    /// when <paramref name="batchless"/> says so (when null, when every input does).</summary>
    internal void Emit(string tensor, Layer layer, string where, string op, bool? batchless, params string[] inputs)
    {
        var name = Unique(tensor);
        Shape shape;
        try
        {
            shape = ShapeInference.Infer(name, layer, [.. inputs.Select(i => _nodeShapes[i])]);
        }
        catch (ShapeMismatchException e)
        {
            throw new UnsupportedModelException(where, op, e.Message);
        }
        _nodes.Add(new Node(name, layer, [.. inputs]));
        if (batchless ?? (inputs.Length > 0 && inputs.All(_batchless.Contains))) _batchless.Add(name);
        _producer[tensor] = name;
        _shapes[tensor] = shape;
        _nodeShapes[name] = shape;
    }

    /// <summary>Maps an ONNX tensor to an existing node (for layers that are the identity on shapes we already have).</summary>
    internal void Alias(string tensor, string source)
    {
        _producer[tensor] = _producer[source];
        _shapes[tensor] = _shapes[source];
    }

    /// <summary>Replaces a node's layer (used to fold a bias Add into a new copy of its linear layer).</summary>
    internal void Replace(string tensor, string sourceNode, Layer layer, string where, string op)
    {
        var node = _nodes.First(n => n.Name == sourceNode);
        Emit(tensor, layer, where, op, [.. node.Inputs]);
    }

    private string Unique(string tensor)
    {
        var name = string.IsNullOrWhiteSpace(tensor) ? "node" : tensor;
        var candidate = name;
        for (var k = 1; !_names.Add(candidate); k++) candidate = $"{name}#{k}";
        return candidate;
    }

    internal long Opset => _opset;
}
