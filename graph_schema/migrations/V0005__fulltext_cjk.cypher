// Keyword search over titles and descriptions in Chinese, Japanese and Korean as well as English:
// the 'cjk' analyzer indexes runs of Han characters as overlapping bigrams, so a two-character word
// (咖啡, coffee) matches that word and not every text sharing one of its characters (咖喱, curry),
// which is what the standard analyzer's single-character tokens did. Latin words are tokenised and
// lower-cased as before. The index keeps its name; it is rebuilt from the nodes in the background.
DROP INDEX product_text IF EXISTS;
CREATE FULLTEXT INDEX product_text IF NOT EXISTS FOR (p:Product) ON EACH [p.title, p.description]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}};
