using System.Text.Json;
using System.Text.Json.Serialization;

namespace LvsTools.Core.Config;

/// <summary>
/// The document's JSON contract, generated at compile time (System.Text.Json source generation): reading or writing a
/// document builds no reflection metadata and emits no accessor code at run time, which a fresh pwsh otherwise
/// compiles on its first import or export. The settings are the document format's: camelCase names, nulls left out,
/// comments and trailing commas read, an unknown member refused (a misspelt property must not silently become a
/// default that Sync then enforces).
/// </summary>
[JsonSourceGenerationOptions(
    GenerationMode = JsonSourceGenerationMode.Metadata,
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    Converters = new[] { typeof(DocumentWords) })]
[JsonSerializable(typeof(LvsConfigurationDocument))]
internal sealed partial class LvsDocumentJson : JsonSerializerContext;
