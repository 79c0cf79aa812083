"""The search engine: Thai normalisation and analysis, the Whoosh schema and index store,
queries, suggestions, snippets and the search service. Imports neither flask nor click."""
