import os
import pickle

import pandas as pd
from sklearn.ensemble import RandomForestClassifier

df = pd.read_csv(os.path.join(os.environ["DATA_DIR"], "train.csv"))
print(df.shape)
print(df.head())

y = df["churned"]
X = df.select_dtypes("number").drop(columns=["churned"]).fillna(0)
print("features:", list(X.columns))

clf = RandomForestClassifier(n_estimators=100, random_state=42)
clf.fit(X, y)
print("train accuracy", clf.score(X, y))

with open(os.path.join(os.environ["MODEL_DIR"], "model.pkl"), "wb") as f:
    pickle.dump((clf, list(X.columns)), f)
