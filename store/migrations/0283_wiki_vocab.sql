-- Wiki search: the terms of wiki_fts, read by a search to tell whether its
-- prefix term (the last word typed, "word"*) covers any term but the word
-- itself; when not, the word is searched alone, which matches the same
-- chunks with the same scores and costs FTS5 no merge of doclists
-- (store/wiki_prefix.go). A view of the index: it holds no data.
CREATE VIRTUAL TABLE wiki_vocab USING fts5vocab (wiki_fts, 'row');
