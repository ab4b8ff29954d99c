import json
import os

import pandas as pd

train = pd.read_csv(os.path.join(os.environ["DATA_DIR"], "train.csv"))
with open(os.path.join(os.environ["MODEL_DIR"], "model.json"), "w") as handle:
    json.dump({"churn_rate": float(train["churned"].mean())}, handle)
