import type { CodegenConfig } from "@graphql-codegen/cli";

// Types for the operations in ../operations, as Apollo Client's guide recommends for v4 apps:
// typescript-operations for the types (no runtime code), typed-document-node for documents
// that carry them, so useQuery/client.query infer data and variables.
const config: CodegenConfig = {
  overwrite: true,
  // The gateway's SDL, always identical to `travel-gateway schema`. With introspection on, the
  // running gateway's URL works too: "http://127.0.0.1:8000/graphql".
  schema: "../../schema.graphql",
  documents: ["../operations/*.graphql"],
  generates: {
    "./src/__generated__/graphql.ts": {
      plugins: ["typescript-operations", "typed-document-node"],
      config: {
        // A scalar without a mapping fails generation instead of becoming `unknown`.
        strictScalars: true,
        scalars: {
          ID: "string",
          // ISO 8601 strings on the wire: YYYY-MM-DD, YYYY-MM-DDTHH:mm:ss without offset, and
          // an instant in UTC, YYYY-MM-DDTHH:mm:ssZ.
          Date: "string",
          LocalDateTime: "string",
          DateTime: "string",
          // Exact amounts such as "410.20": never a number, so money keeps every digit.
          Decimal: "string",
        },
        // Apollo Client adds __typename to every object it reads (not to the root Query).
        nonOptionalTypename: true,
        skipTypeNameForRoot: true,
        // `import type` for types, as `verbatimModuleSyntax` (Vite's templates) requires.
        useTypeImports: true,
      },
    },
  },
};

export default config;
