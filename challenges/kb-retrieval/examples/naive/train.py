import os
import pickle

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

articles = pd.read_csv(os.path.join(os.environ["DATA_DIR"], "articles.csv"))
text = articles["title"].fillna("") + " " + articles["body"].fillna("")
vectorizer = TfidfVectorizer()
matrix = vectorizer.fit_transform(text)
with open(os.path.join(os.environ["MODEL_DIR"], "model.pkl"), "wb") as handle:
    pickle.dump((vectorizer, matrix, articles["article_id"].tolist()), handle)
print("indexed", len(articles), "articles")
