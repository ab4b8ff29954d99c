import os
import pickle

import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier

DATA_DIR = os.environ["DATA_DIR"]
MODEL_DIR = os.environ["MODEL_DIR"]

print("Loading data...")
df = pd.read_csv(os.path.join(DATA_DIR, "train.csv"))
print(f"Loaded {len(df)} rows, {df.shape[1]} columns")

print("Cleaning...")
df = df.drop_duplicates()
for col in ["plan", "region", "contract_type", "payment_method"]:
    df[col] = df[col].str.strip().str.lower()

print("Feature engineering...")
# average revenue per seat
df["charges_per_seat"] = df["monthly_charges"] / df["seats"]
df["is_monthly"] = (df["contract_type"] == "month-to-month").astype(int)

features = [
    "tenure_months",
    "seats",
    "charges_per_seat",
    "support_tickets_90d",
    "last_login_days",
    "features_used",
    "is_monthly",
]
X = df[features].fillna(-1)
y = df["churned"]

print("Training...")
model = GradientBoostingClassifier(random_state=0)
model.fit(X, y)

with open(os.path.join(MODEL_DIR, "model.pkl"), "wb") as f:
    pickle.dump(model, f)
print("Done")
