import os
import pickle

import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline

df = pd.read_csv(os.path.join(os.environ["DATA_DIR"], "train.csv"))
df = df.fillna("")
X = df["subject"] + " " + df["message"] + " " + df["first_reply_macro"]
model = make_pipeline(CountVectorizer(), MultinomialNB())
model.fit(X, df["team"])
print("train accuracy", model.score(X, df["team"]))
pickle.dump(model, open(os.path.join(os.environ["MODEL_DIR"], "model.pkl"), "wb"))
