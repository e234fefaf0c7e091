#!/usr/bin/env python3
"""Deterministic generator for the Longtail bundled demo store.

    python longtail/demo/generate.py

Writes ``longtail/demo/data/``: items.jsonl, interactions.csv, customers.json, orders.json,
policies/*.md, policies/store.json and README.md. Standard library only; one fixed seed, so two
runs produce byte-identical files. The vocabulary lives in the tables below.
"""

from __future__ import annotations

import csv
import json
import sys
import math
import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

SEED = 20260101
N_ITEMS = 3500
N_USERS = 1500
N_CUSTOMERS = 50
N_ORDERS = 150
ZIPF_EXPONENT = 0.8  # latent popularity ~ 1 / rank**s over a random permutation of the items
TOTAL_RATINGS = 30000  # expected ratings over the whole catalog
RATING_POWER = 1.4  # rating_count ~ popularity**1.4 (= rank**-1.12): reviews pile up on bestsellers
SESSION_MU = 1.9  # sessions per user ~ lognormal(mu, 0.8)
BROWSE_RATE = 0.45  # P(view one more item) within a session
CART_RATE, PURCHASE_RATE = 0.55, 0.7  # P(add to cart | session), P(purchase | cart)
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
END = datetime(2026, 10, 31, 23, 59, 59, tzinfo=timezone.utc)
TODAY = date(2026, 10, 31)  # "now" for order statuses
OUT_DIR = Path(__file__).resolve().parent / "data"

STORE = {
    "store_name": "Longtail Demo Store",
    "support_email": "support@longtail-demo.example",
    "support_phone": "+1-555-0100",
    "return_window_days": 30,
    "free_shipping_threshold": 50.0,
    "standard_shipping_days": "3-5",
    "express_shipping_days": "1-2",
    "express_shipping_price": 12.99,
    "warranty_years": 1,
    "order_change_window_hours": 1,
    "currency": "USD",
}
STANDARD_SHIPPING_PRICE = 5.99

# ----------------------------------------------------------------------------- vocabulary
COLORS = ["black", "white", "charcoal", "navy", "forest green", "slate blue", "burgundy", "sand",
          "olive", "teal", "mustard", "sky blue", "dusty rose", "red"]
TECH = ["black", "white", "graphite", "silver", "midnight blue", "sage green"]
HOME = ["white", "ivory", "oatmeal", "slate gray", "sage green", "dusty rose", "navy", "terracotta"]
OUTDOOR = ["olive", "forest green", "orange", "sand", "slate blue", "charcoal", "red", "teal"]
EARTH = ["brown", "tan", "gray", "black", "olive", "navy"]
KITCHEN = ["black", "matte black", "cherry red", "cream", "sage green", "navy", "mustard"]
APPAREL = ["XS", "S", "M", "L", "XL", "XXL"]
WAIST = ["28W", "30W", "32W", "34W", "36W", "38W"]
SHOE = ["US 6", "US 7", "US 8", "US 9", "US 10", "US 11", "US 12"]
FIT = ["men's", "women's", "unisex"]
AGES = ["ages 3+", "ages 6+", "ages 8+", "ages 12+"]
BOOK = {"format": ["hardcover", "paperback", "spiral-bound"],
        "pages": ["192 pages", "256 pages", "320 pages", "416 pages"]}

BRANDS = {
    "Electronics": ["Auralis", "Voltaic", "Nexbyte", "Lumora", "Quillon"],
    "Home & Kitchen": ["Hearthwell", "Copperline", "Oakhollow", "Brisa Home", "Kettleby"],
    "Outdoors & Camping": ["Ridgeline Outfitters", "Pinecrest", "Summit Fox", "Cairnway", "Trailhaven"],
    "Sports & Fitness": ["Ironleaf", "Flexora", "Stridewell", "Kinetik Lab", "Corebound"],
    "Clothing": ["Northloom", "Fernwick", "Tidal & Thread", "Hollis Row", "Marlowe Supply"],
    "Shoes": ["Trekmoor", "Solestride", "Bramblefoot", "Cobble & Lane", "Kestrel Run"],
    "Beauty": ["Petalkind", "Dewpoint", "Saltmoss", "Verdane", "Lumen & Leaf"],
    "Toys & Games": ["Brickwise", "Pip & Pebble", "Wonderkeep", "Tinkertop"],
    "Books": ["Quiet Harbor Press", "Inkwell Row", "Lanternfield Books", "Marginalia House"],
    "Office Supplies": ["Paperlark", "Deskwright", "Inkstone", "Officina"],
    "Pet Supplies": ["Wagtail & Co", "Furrow", "Purrington", "Kibblewick"],
    "Garden": ["Greenmantle", "Loamwise", "Sproutfield", "Trellis & Vine"],
    "Tools & Hardware": ["Anvilcrest", "Boltmark", "Torquewright", "Steelhaven"],
    "Grocery & Gourmet": ["Saltmarsh Pantry", "Olivarra", "Bramble & Hive", "Roastery Nine"],
    "Baby": ["Little Lark", "Cradlewood", "Nestling", "Bumblebee Basics"],
    "Automotive": ["Roadwise", "Gearhaus", "Axlewood", "Milepost"],
    "Music Instruments": ["Harrowgate", "Tonewood & Co", "Resonara", "Fretline"],
    "Arts & Crafts": ["Gessoworks", "Colorfield", "Stitch & Spool", "Easelmark"],
}

# TYPES: (top category, subcategory, leaf category, product noun, min price, max price,
#         {attribute: choices}, adjectives, one-sentence blurb for the description)
TYPES = [
    # Electronics
    ("Electronics", "Audio", "Headphones", "Headphones", 39, 349, {"color": TECH, "style": ["over-ear", "on-ear"], "connectivity": ["Bluetooth 5.3", "Bluetooth 5.2", "Bluetooth with 3.5 mm cable"], "battery_life": ["20 hours", "30 hours", "40 hours", "60 hours"]}, ["Noise Cancelling", "Wireless", "Studio", "Foldable", "Lightweight"], "Plush memory-foam ear cushions and a padded headband keep long listening sessions comfortable."),
    ("Electronics", "Audio", "Earbuds", "Earbuds", 19, 229, {"color": TECH, "water_resistance": ["IPX4", "IPX5", "IPX7"], "battery_life": ["6 hours (24 with case)", "8 hours (32 with case)", "10 hours (40 with case)"]}, ["True Wireless", "Noise Cancelling", "Sport", "Compact"], "A pocketable charging case tops them up on the go, and three sizes of silicone tips are included."),
    ("Electronics", "Audio", "Bluetooth Speakers", "Bluetooth Speaker", 24, 199, {"color": TECH + ["orange", "teal"], "water_resistance": ["IPX5", "IPX7"], "output": ["10 W", "20 W", "40 W"], "battery_life": ["10 hours", "15 hours", "24 hours"]}, ["Portable", "Waterproof", "Rugged", "Mini"], "Pair two units for stereo sound at the campsite, the beach, or the back porch."),
    ("Electronics", "Computer Accessories", "Keyboards", "Mechanical Keyboard", 49, 219, {"color": TECH, "layout": ["full-size", "tenkeyless", "75%", "60%"], "switches": ["linear red", "tactile brown", "clicky blue"], "connectivity": ["USB-C wired", "Bluetooth and 2.4 GHz"]}, ["Hot-Swappable", "Backlit", "Low-Profile", "Wireless"], "Double-shot PBT keycaps resist shine, and the switches are rated for 50 million keystrokes."),
    ("Electronics", "Computer Accessories", "Mice", "Mouse", 14, 129, {"color": TECH, "connectivity": ["2.4 GHz receiver", "Bluetooth", "USB-C wired"], "sensor": ["4000 DPI", "8000 DPI", "16000 DPI"], "grip": ["right-hand", "ambidextrous", "vertical"]}, ["Wireless", "Ergonomic", "Silent", "Gaming"], "Quiet switches and a contoured shell reduce wrist strain during long workdays."),
    ("Electronics", "Computer Accessories", "USB Hubs", "USB-C Hub", 19, 89, {"color": ["space gray", "silver", "black"], "ports": ["4 ports", "7 ports", "10 ports"], "power_delivery": ["60 W", "100 W"]}, ["Compact", "Aluminum", "Travel", "Multiport"], "Connect monitors, card readers, and drives through a single USB-C cable."),
    ("Electronics", "Phone Accessories", "Phone Cases", "Phone Case", 12, 59, {"color": COLORS, "material": ["silicone", "TPU", "leather", "recycled plastic"], "size": ["6.1 in phones", "6.3 in phones", "6.7 in phones"]}, ["Slim", "Rugged", "Shockproof", "Magnetic"], "Raised edges protect the screen and camera from drops of up to 6 feet."),
    ("Electronics", "Phone Accessories", "Power Banks", "Power Bank", 19, 99, {"color": TECH, "capacity": ["10000 mAh", "20000 mAh", "26800 mAh"], "output": ["20 W USB-C", "45 W USB-C", "65 W USB-C"]}, ["Fast-Charging", "Slim", "Travel", "Solar"], "It charges a phone several times over and can top up a laptop in a pinch."),
    ("Electronics", "Smart Home", "Smart Plugs", "Smart Plug", 12, 49, {"color": ["white", "black"], "pack": ["1-pack", "2-pack", "4-pack"], "connectivity": ["Wi-Fi 2.4 GHz", "Zigbee", "Thread"]}, ["Mini", "Energy-Monitoring", "Outdoor", "Voice-Ready"], "Schedule lamps and appliances from your phone and track energy use by the hour."),
    ("Electronics", "Smart Home", "Security Cameras", "Security Camera", 29, 199, {"color": ["white", "black"], "resolution": ["1080p", "2K", "4K"], "power": ["battery", "plug-in", "solar panel"]}, ["Indoor", "Outdoor", "Night Vision", "Pan-Tilt"], "Motion alerts, two-way audio, and color night vision let you check in from anywhere."),
    # Home & Kitchen
    ("Home & Kitchen", "Cookware", "Skillets", "Skillet", 19, 149, {"color": KITCHEN, "material": ["cast iron", "enameled cast iron", "carbon steel"], "size": ["8 in", "10 in", "12 in"]}, ["Pre-Seasoned", "Heavy-Duty", "Classic", "Oven-Safe"], "It holds heat evenly for a hard sear and moves from stovetop to oven up to 500°F."),
    ("Home & Kitchen", "Cookware", "Dutch Ovens", "Dutch Oven", 39, 299, {"color": KITCHEN, "material": ["enameled cast iron", "cast iron"], "size": ["3.5 qt", "5.5 qt", "7.25 qt"]}, ["Round", "Oval", "Heritage", "Heavy-Duty"], "A tight-fitting lid self-bastes braises, stews, and no-knead bread."),
    ("Home & Kitchen", "Cookware", "Saucepans", "Saucepan", 24, 139, {"color": ["stainless", "black", "copper"], "material": ["tri-ply stainless steel", "hard-anodized aluminum", "copper-clad stainless steel"], "size": ["1.5 qt", "2 qt", "3 qt"]}, ["Induction-Ready", "Nonstick", "Professional", "Everyday"], "A pour spout and glass lid make sauces, grains, and soups easy to manage."),
    ("Home & Kitchen", "Kitchen Tools", "Chef Knives", "Chef Knife", 29, 189, {"material": ["German stainless steel", "Damascus steel", "high-carbon stainless steel"], "size": ["6 in", "8 in", "10 in"], "handle": ["walnut", "pakkawood", "black polymer", "olive wood"]}, ["Forged", "Japanese-Style", "Professional", "Full-Tang"], "A hand-honed edge and balanced bolster make quick work of dicing and slicing."),
    ("Home & Kitchen", "Kitchen Tools", "Cutting Boards", "Cutting Board", 15, 89, {"material": ["end-grain walnut", "maple", "bamboo", "acacia"], "size": ["12 x 8 in", "16 x 11 in", "20 x 14 in"]}, ["Reversible", "Juice-Groove", "Thick", "Edge-Grain"], "A deep juice groove catches drippings, and the wood is gentle on knife edges."),
    ("Home & Kitchen", "Small Appliances", "Coffee Makers", "Coffee Maker", 29, 249, {"color": TECH, "type": ["drip", "pour-over", "cold brew", "single-serve"], "capacity": ["4 cups", "8 cups", "12 cups"]}, ["Programmable", "Compact", "Thermal", "Barista"], "A showerhead design saturates the grounds evenly for a balanced, full-bodied cup."),
    ("Home & Kitchen", "Small Appliances", "Blenders", "Blender", 39, 299, {"color": TECH, "capacity": ["24 oz", "48 oz", "64 oz"], "power": ["700 W", "1000 W", "1500 W"]}, ["High-Speed", "Personal", "Quiet", "Professional"], "Hardened blades crush ice and frozen fruit into smooth shakes in seconds."),
    ("Home & Kitchen", "Small Appliances", "Electric Kettles", "Electric Kettle", 24, 119, {"color": TECH, "material": ["stainless steel", "borosilicate glass", "matte steel"], "capacity": ["0.9 L", "1.2 L", "1.7 L"]}, ["Gooseneck", "Variable-Temperature", "Cordless", "Rapid-Boil"], "Temperature presets suit green tea, oolong, and pour-over coffee."),
    ("Home & Kitchen", "Bedding", "Sheet Sets", "Sheet Set", 39, 229, {"color": HOME, "material": ["organic cotton percale", "cotton sateen", "linen", "bamboo lyocell"], "size": ["Twin", "Full", "Queen", "King"]}, ["Breathable", "Cooling", "Deep-Pocket", "Wrinkle-Resistant"], "Deep pockets fit mattresses up to 16 inches, and the fabric softens with every wash."),
    ("Home & Kitchen", "Bedding", "Throw Blankets", "Throw Blanket", 24, 129, {"color": HOME, "material": ["chunky knit acrylic", "merino wool", "cotton waffle weave", "sherpa fleece"], "size": ["50 x 60 in", "60 x 80 in"]}, ["Cozy", "Chunky", "Lightweight", "Heirloom"], "Drape it over the sofa or layer it at the foot of the bed on cool nights."),
    # Outdoors & Camping
    ("Outdoors & Camping", "Tents", "Backpacking Tents", "Backpacking Tent", 129, 549, {"color": OUTDOOR, "capacity": ["1-person", "2-person", "3-person"], "weight": ["2 lb 10 oz", "3 lb 4 oz", "4 lb 1 oz"], "season": ["3-season", "4-season"]}, ["Ultralight", "Freestanding", "Waterproof", "Two-Door"], "Taped seams and a full-coverage rainfly keep you dry through overnight storms."),
    ("Outdoors & Camping", "Tents", "Family Tents", "Camping Tent", 99, 499, {"color": OUTDOOR, "capacity": ["4-person", "6-person", "8-person"], "material": ["polyester ripstop", "poly-cotton canvas"]}, ["Instant", "Cabin", "Waterproof", "Dome"], "Near-vertical walls and a tall center height make room for cots and gear."),
    ("Outdoors & Camping", "Sleeping Gear", "Sleeping Bags", "Sleeping Bag", 49, 399, {"color": OUTDOOR, "temperature_rating": ["40°F", "20°F", "0°F"], "insulation": ["650-fill down", "800-fill down", "synthetic"]}, ["Mummy", "Rectangular", "Ultralight", "Insulated"], "A draft collar and contoured hood trap warmth on cold nights."),
    ("Outdoors & Camping", "Sleeping Gear", "Sleeping Pads", "Sleeping Pad", 29, 199, {"color": OUTDOOR, "thickness": ["2 in", "3 in", "4 in"], "r_value": ["R 2.5", "R 4.2", "R 6.0"]}, ["Inflatable", "Self-Inflating", "Foam", "Ultralight"], "It packs down to the size of a water bottle and inflates in about a dozen breaths."),
    ("Outdoors & Camping", "Packs", "Hiking Backpacks", "Hiking Backpack", 49, 329, {"color": OUTDOOR, "material": ["ripstop nylon", "recycled polyester", "waxed canvas"], "capacity": ["22 L", "35 L", "50 L", "65 L"]}, ["Ultralight", "Waterproof", "Ventilated", "Trail"], "A ventilated back panel and padded hip belt carry heavy loads comfortably."),
    ("Outdoors & Camping", "Packs", "Hydration Packs", "Hydration Pack", 29, 149, {"color": OUTDOOR, "capacity": ["5 L", "10 L", "15 L"], "reservoir": ["1.5 L", "2 L", "3 L"]}, ["Running", "Lightweight", "Trail", "Insulated"], "A leak-proof reservoir and bite valve keep water within reach on the move."),
    ("Outdoors & Camping", "Camp Kitchen", "Camp Stoves", "Camp Stove", 29, 199, {"color": ["silver", "black", "orange", "olive"], "fuel": ["isobutane canister", "propane", "wood"], "burners": ["1 burner", "2 burners"]}, ["Compact", "Ultralight", "Windproof", "Folding"], "It boils a liter of water in about three minutes, even in a stiff breeze."),
    ("Outdoors & Camping", "Camp Kitchen", "Water Filters", "Water Filter", 19, 129, {"color": ["blue", "gray", "black"], "type": ["squeeze", "pump", "gravity", "straw"], "filter_life": ["1,000 L", "4,000 L", "100,000 gal"]}, ["Portable", "Backcountry", "Lightweight", "Emergency"], "A 0.1-micron hollow-fiber membrane removes bacteria and protozoa from lakes and streams."),
    # Sports & Fitness
    ("Sports & Fitness", "Yoga", "Yoga Mats", "Yoga Mat", 19, 129, {"color": COLORS, "material": ["natural rubber", "TPE", "cork", "PVC-free foam", "jute"], "thickness": ["4 mm", "6 mm", "8 mm"], "size": ["68 x 24 in", "72 x 26 in"]}, ["Non-Slip", "Eco-Friendly", "Extra Thick", "Travel"], "A grippy textured surface keeps hands and feet planted through sweaty flows."),
    ("Sports & Fitness", "Yoga", "Yoga Blocks", "Yoga Block", 9, 39, {"color": COLORS, "material": ["cork", "EVA foam", "bamboo"], "pack": ["single", "set of 2"]}, ["Lightweight", "Eco-Friendly", "Sturdy", "Beveled"], "Beveled edges make it comfortable to grip in supported poses."),
    ("Sports & Fitness", "Strength Training", "Dumbbells", "Dumbbell Set", 29, 399, {"color": ["black", "gray", "red", "blue"], "material": ["cast iron", "rubber-coated steel", "neoprene-coated iron"], "weight": ["2 x 10 lb", "2 x 25 lb", "adjustable 5-52.5 lb"]}, ["Adjustable", "Hex", "Neoprene", "Compact"], "Knurled handles give a secure grip for presses, curls, and rows."),
    ("Sports & Fitness", "Strength Training", "Resistance Bands", "Resistance Band Set", 12, 59, {"color": ["multicolor", "black", "pastel"], "material": ["natural latex", "fabric"], "resistance": ["10-50 lb", "15-150 lb"]}, ["Heavy-Duty", "Portable", "Loop", "Fabric"], "Stack bands to scale resistance for squats, rows, and physical therapy."),
    ("Sports & Fitness", "Strength Training", "Kettlebells", "Kettlebell", 19, 149, {"color": ["black", "gray", "blue", "red"], "material": ["cast iron", "competition steel", "vinyl-coated iron"], "weight": ["8 kg", "12 kg", "16 kg", "24 kg"]}, ["Competition", "Powder-Coated", "Classic", "Adjustable"], "A wide, textured handle supports two-handed swings without slipping."),
    ("Sports & Fitness", "Cycling", "Bike Helmets", "Bike Helmet", 39, 229, {"color": COLORS, "size": ["S", "M", "L"], "style": ["road", "mountain", "commuter"]}, ["Lightweight", "Ventilated", "Rotational-Impact", "Aero"], "Eighteen vents and a retention dial keep it cool and secure."),
    ("Sports & Fitness", "Cycling", "Bike Lights", "Bike Light Set", 15, 89, {"color": ["black", "silver"], "brightness": ["400 lumens", "800 lumens", "1200 lumens"], "battery": ["USB-C rechargeable"]}, ["Rechargeable", "Waterproof", "High-Visibility", "Commuter"], "Daytime flash modes keep you visible to traffic for up to 15 hours."),
    ("Sports & Fitness", "Team Sports", "Soccer Balls", "Soccer Ball", 14, 79, {"color": ["white/black", "white/blue", "neon yellow", "orange"], "material": ["PU leather", "TPU", "rubber"], "size": ["size 3", "size 4", "size 5"]}, ["Match", "Training", "Thermal-Bonded", "Indoor"], "Thermally bonded panels give a true flight and a consistent touch."),
    ("Sports & Fitness", "Team Sports", "Basketballs", "Basketball", 19, 89, {"color": ["orange", "brown", "black/orange"], "material": ["composite leather", "rubber"], "size": ["size 6 (28.5 in)", "size 7 (29.5 in)"]}, ["Indoor", "Outdoor", "Indoor/Outdoor", "Pro"], "Deep channels and a pebbled cover give a confident grip on every dribble."),
    # Clothing
    ("Clothing", "Outerwear", "Rain Jackets", "Rain Jacket", 49, 249, {"color": OUTDOOR, "material": ["2.5-layer nylon", "3-layer recycled polyester"], "size": APPAREL, "fit": FIT}, ["Waterproof", "Packable", "Breathable", "Hooded"], "Fully taped seams and pit zips keep rain out while venting heat on climbs."),
    ("Clothing", "Outerwear", "Puffer Jackets", "Puffer Jacket", 69, 329, {"color": OUTDOOR + ["black"], "size": APPAREL, "insulation": ["600-fill down", "800-fill down", "synthetic"], "fit": FIT}, ["Insulated", "Packable", "Lightweight", "Hooded"], "Baffled insulation traps warmth and the jacket stuffs into its own pocket."),
    ("Clothing", "Tops", "T-Shirts", "T-Shirt", 12, 45, {"color": COLORS, "material": ["organic cotton", "cotton-modal blend", "merino wool"], "size": APPAREL, "fit": ["classic", "slim", "relaxed"]}, ["Everyday", "Crew Neck", "V-Neck", "Heavyweight"], "Pre-shrunk fabric and a taped neckline hold their shape wash after wash."),
    ("Clothing", "Tops", "Flannel Shirts", "Flannel Shirt", 29, 89, {"color": ["red plaid", "blue plaid", "green plaid", "charcoal check"], "material": ["brushed cotton flannel", "organic cotton flannel"], "size": APPAREL}, ["Brushed", "Midweight", "Button-Down", "Classic"], "Double-brushed flannel is soft from the first wear and warm enough for fall evenings."),
    ("Clothing", "Tops", "Sweaters", "Sweater", 39, 179, {"color": HOME, "material": ["merino wool", "cashmere", "cotton", "alpaca blend"], "size": APPAREL}, ["Cable-Knit", "Crewneck", "Cardigan", "Fisherman"], "Ribbed cuffs and hem keep the fit neat without feeling tight."),
    ("Clothing", "Bottoms", "Hiking Pants", "Hiking Pants", 39, 129, {"color": EARTH, "material": ["stretch nylon", "softshell"], "size": WAIST, "inseam": ["30 in", "32 in", "34 in"]}, ["Convertible", "Water-Resistant", "Stretch", "Lightweight"], "Zippered pockets and a gusseted crotch move with you on steep scrambles."),
    ("Clothing", "Bottoms", "Jeans", "Jeans", 39, 149, {"color": ["indigo", "light wash", "black", "gray"], "material": ["selvedge denim", "stretch denim", "organic cotton denim"], "size": WAIST, "fit": ["slim", "straight", "relaxed", "bootcut"]}, ["Slim", "Straight-Leg", "Raw", "Vintage"], "Reinforced pockets and bar-tacked stress points are built for years of wear."),
    ("Clothing", "Activewear", "Leggings", "Leggings", 24, 98, {"color": COLORS, "material": ["nylon-spandex", "recycled polyester"], "size": APPAREL, "inseam": ["25 in", "28 in"]}, ["High-Waisted", "Squat-Proof", "Pocketed", "Seamless"], "A wide waistband stays put through yoga, runs, and lifting sessions."),
    ("Clothing", "Activewear", "Running Shorts", "Running Shorts", 19, 65, {"color": COLORS, "material": ["recycled polyester", "nylon"], "size": APPAREL, "inseam": ["3 in", "5 in", "7 in"]}, ["Lined", "Lightweight", "Split-Hem", "Reflective"], "A built-in liner and zip pocket carry keys and gels without bouncing."),
    # Shoes
    ("Shoes", "Boots", "Hiking Boots", "Hiking Boots", 89, 259, {"color": EARTH, "material": ["full-grain leather", "suede and mesh", "nubuck"], "size": SHOE, "waterproof": ["yes", "no"]}, ["Waterproof", "Lightweight", "Mid-Cut", "Rugged", "Insulated"], "A lugged rubber outsole grips wet rock, and a cushioned midsole eases long descents."),
    ("Shoes", "Boots", "Rain Boots", "Rain Boots", 29, 129, {"color": COLORS, "material": ["natural rubber", "PVC-free rubber"], "size": SHOE, "height": ["ankle", "mid-calf", "tall"]}, ["Waterproof", "Lined", "Packable", "Classic"], "Seamless molded rubber keeps feet dry through puddles and muddy gardens."),
    ("Shoes", "Boots", "Winter Boots", "Winter Boots", 79, 229, {"color": EARTH, "material": ["waterproof leather", "nylon and suede"], "size": SHOE, "temperature_rating": ["-20°F", "-40°F"]}, ["Insulated", "Waterproof", "Snow", "Lace-Up"], "A removable felt liner and slip-resistant sole handle icy sidewalks."),
    ("Shoes", "Athletic Shoes", "Running Shoes", "Running Shoes", 69, 179, {"color": COLORS, "material": ["engineered mesh", "knit"], "size": SHOE, "drop": ["4 mm", "8 mm", "10 mm"]}, ["Cushioned", "Lightweight", "Stability", "Neutral"], "A responsive foam midsole returns energy mile after mile."),
    ("Shoes", "Athletic Shoes", "Trail Running Shoes", "Trail Running Shoes", 79, 169, {"color": OUTDOOR, "material": ["ripstop mesh", "knit"], "size": SHOE, "waterproof": ["yes", "no"]}, ["Waterproof", "Aggressive-Lug", "Lightweight", "Rock-Plate"], "Deep 5 mm lugs bite into mud and loose gravel on technical trails."),
    ("Shoes", "Casual Shoes", "Sneakers", "Sneakers", 49, 139, {"color": COLORS, "material": ["canvas", "leather", "recycled knit"], "size": SHOE}, ["Classic", "Low-Top", "Slip-On", "Minimalist"], "A cushioned footbed and flexible sole make them easy to wear all day."),
    ("Shoes", "Casual Shoes", "Sandals", "Sandals", 24, 119, {"color": EARTH, "material": ["leather", "recycled webbing", "cork and suede"], "size": SHOE}, ["Adjustable", "Water-Friendly", "Cork Footbed", "Sport"], "Contoured footbeds support arches on long summer walks."),
    # Beauty
    ("Beauty", "Skincare", "Moisturizers", "Face Moisturizer", 12, 68, {"size": ["1.7 fl oz", "2.5 fl oz"], "skin_type": ["dry", "oily", "combination", "sensitive", "all skin types"], "key_ingredient": ["hyaluronic acid", "ceramides", "squalane", "niacinamide"]}, ["Fragrance-Free", "Hydrating", "Lightweight", "Overnight"], "It absorbs quickly, layers well under sunscreen, and is dermatologist tested."),
    ("Beauty", "Skincare", "Sunscreens", "Sunscreen", 9, 38, {"size": ["1.7 fl oz", "3 fl oz", "5 fl oz"], "spf": ["SPF 30", "SPF 50"], "type": ["mineral", "chemical"]}, ["Reef-Friendly", "Water-Resistant", "Tinted", "Sheer"], "Broad-spectrum protection stays put for up to 80 minutes of swimming or sweating."),
    ("Beauty", "Skincare", "Serums", "Face Serum", 14, 79, {"size": ["1 fl oz", "1.7 fl oz"], "key_ingredient": ["vitamin C", "retinol", "peptides", "hyaluronic acid"], "skin_type": ["all skin types", "dry", "oily"]}, ["Brightening", "Firming", "Overnight", "Fragrance-Free"], "A few drops each evening smooth texture and even out tone."),
    ("Beauty", "Hair Care", "Shampoos", "Shampoo", 8, 36, {"size": ["8 fl oz", "12 fl oz", "16 fl oz"], "hair_type": ["curly", "fine", "color-treated", "all hair types"], "scent": ["unscented", "rosemary mint", "citrus", "lavender"]}, ["Sulfate-Free", "Clarifying", "Moisturizing", "Volumizing"], "A gentle plant-based lather cleans without stripping natural oils."),
    ("Beauty", "Hair Care", "Hair Dryers", "Hair Dryer", 29, 249, {"color": TECH + ["dusty rose"], "power": ["1200 W", "1875 W"], "technology": ["ionic", "ceramic", "tourmaline"]}, ["Ionic", "Travel", "Lightweight", "Professional"], "Three heat settings and a cool-shot button tame frizz in minutes."),
    ("Beauty", "Fragrance", "Perfumes", "Eau de Parfum", 29, 149, {"size": ["30 ml", "50 ml", "100 ml"], "scent": ["cedar and vetiver", "fig and bergamot", "jasmine and amber", "sea salt and sage"]}, ["Woody", "Fresh", "Floral", "Citrus"], "Long-lasting notes unfold from bright top notes to a warm, lingering base."),
    # Toys & Games
    ("Toys & Games", "Building Toys", "Building Sets", "Building Block Set", 14, 149, {"pieces": ["250 pieces", "500 pieces", "1,200 pieces"], "theme": ["castle", "space station", "city", "dinosaur park"], "age": AGES}, ["Creative", "STEM", "Magnetic", "Deluxe"], "Illustrated instructions guide young builders, and every piece works with standard bricks."),
    ("Toys & Games", "Board Games & Puzzles", "Board Games", "Board Game", 19, 69, {"players": ["2-4 players", "2-6 players", "1-5 players"], "play_time": ["30 min", "60 min", "90 min"], "age": AGES}, ["Cooperative", "Strategy", "Family", "Party"], "Easy-to-learn rules and plenty of replay value make it a game-night staple."),
    ("Toys & Games", "Board Games & Puzzles", "Jigsaw Puzzles", "Jigsaw Puzzle", 12, 39, {"pieces": ["500 pieces", "1,000 pieces", "1,500 pieces"], "theme": ["mountain lake", "vintage map", "botanical garden", "city skyline"]}, ["Premium", "Panoramic", "Family", "Challenging"], "Thick blue-board pieces snap together firmly with no false fits."),
    ("Toys & Games", "Outdoor Play", "Kites", "Kite", 12, 59, {"color": COLORS, "size": ["36 in", "48 in", "60 in"], "style": ["delta", "diamond", "parafoil"]}, ["Easy-Flying", "Stunt", "Beginner", "Giant"], "A ripstop sail and fiberglass spars launch easily in light breezes."),
    ("Toys & Games", "Outdoor Play", "Water Blasters", "Water Blaster", 9, 39, {"color": ["blue", "orange", "green", "yellow"], "capacity": ["16 oz", "32 oz", "64 oz"], "range": ["25 ft", "35 ft"]}, ["Pump-Action", "Backpack", "Mini", "Mega"], "A quick-fill cap means less time refilling and more time playing."),
    ("Toys & Games", "Plush Toys", "Stuffed Animals", "Plush Toy", 9, 39, {"color": ["brown", "gray", "cream", "orange"], "size": ["8 in", "12 in", "18 in"], "animal": ["fox", "bear", "otter", "owl", "sloth"]}, ["Cuddly", "Weighted", "Huggable", "Classic"], "Embroidered eyes and reinforced seams make it safe for all ages."),
    # Books
    ("Books", "Cooking & Food", "Cookbooks", "Cookbook", 14, 45, BOOK, ["Weeknight Vegetarian", "Cast Iron", "Sourdough Baking", "Slow Cooker", "Mediterranean", "Camp Cooking"], "Every recipe includes step-by-step photos, prep times, and make-ahead tips."),
    ("Books", "Travel & Nature", "Travel Guides", "Travel Guide", 12, 32, BOOK, ["Pacific Northwest", "National Parks", "Japan by Rail", "Coastal Portugal", "Patagonia Trekking"], "Fold-out maps, day-by-day itineraries, and budget tips help you plan with confidence."),
    ("Books", "Travel & Nature", "Field Guides", "Field Guide", 12, 35, BOOK, ["Mountain Birds", "Wild Mushrooms", "Wildflowers", "Night Sky", "Trees of North America"], "Color illustrations and range maps make identification quick in the field."),
    ("Books", "Health & Fitness", "Fitness Books", "Training Guide", 12, 32, BOOK, ["Yoga for Beginners", "Strength Training", "Trail Running", "Marathon", "Mobility"], "Clear programs, photos of each movement, and progress logs keep you on track."),
    ("Books", "Children's Books", "Picture Books", "Picture Book", 7, 22, {"format": ["hardcover", "board book", "paperback"], "age": ["ages 0-3", "ages 3-6", "ages 5-8"]}, ["Bedtime", "Dinosaur", "Ocean Adventure", "Counting"], "Warm illustrations and rhyming text make it a favorite for reading aloud."),
    # Office Supplies
    ("Office Supplies", "Writing", "Fountain Pens", "Fountain Pen", 19, 149, {"color": COLORS, "material": ["brass", "resin", "aluminum"], "nib": ["extra fine", "fine", "medium"]}, ["Classic", "Demonstrator", "Pocket", "Calligraphy"], "A smooth steel nib and converter let you use bottled ink or standard cartridges."),
    ("Office Supplies", "Writing", "Notebooks", "Notebook", 7, 34, {"color": COLORS, "size": ["A5", "A6", "B5"], "ruling": ["dot grid", "lined", "blank", "graph"], "pages": ["120 pages", "192 pages", "240 pages"]}, ["Hardcover", "Lay-Flat", "Softcover", "Bullet Journal"], "Acid-free 100 gsm paper resists bleed-through from fountain pens and markers."),
    ("Office Supplies", "Desk Organization", "Desk Organizers", "Desk Organizer", 14, 69, {"color": ["natural", "black", "white", "gray"], "material": ["walnut", "bamboo", "steel mesh", "felt"], "compartments": ["4 compartments", "6 compartments"]}, ["Minimalist", "Modular", "Stackable", "Rotating"], "Tidy pens, sticky notes, and cables into one compact footprint."),
    ("Office Supplies", "Desk Organization", "Monitor Stands", "Monitor Stand", 24, 129, {"color": ["natural", "black", "white"], "material": ["bamboo", "aluminum", "steel"], "size": ["20 in wide", "24 in wide", "dual 40 in wide"]}, ["Adjustable", "Ergonomic", "Storage", "Dual"], "Raising your screen to eye level eases neck strain through the workday."),
    ("Office Supplies", "Office Furniture", "Office Chairs", "Office Chair", 129, 599, {"color": ["black", "gray", "navy", "white"], "material": ["mesh", "vegan leather", "fabric"], "lumbar_support": ["adjustable", "fixed"]}, ["Ergonomic", "Mesh", "High-Back", "Task"], "Adjustable armrests, seat depth, and tilt tension fit a wide range of bodies."),
    ("Office Supplies", "Office Furniture", "Standing Desks", "Standing Desk", 199, 799, {"color": ["walnut", "oak", "white", "black"], "size": ["48 x 24 in", "55 x 28 in", "63 x 30 in"], "motor": ["single motor", "dual motor"]}, ["Electric", "Height-Adjustable", "L-Shaped", "Compact"], "Memory presets move from sitting to standing height in about 20 seconds."),
    # Pet Supplies
    ("Pet Supplies", "Dog Supplies", "Dog Beds", "Dog Bed", 29, 179, {"color": HOME, "size": ["S", "M", "L", "XL"], "fill": ["memory foam", "orthopedic foam", "polyfill"]}, ["Orthopedic", "Washable", "Bolster", "Calming"], "A removable, machine-washable cover keeps it fresh between naps."),
    ("Pet Supplies", "Dog Supplies", "Dog Leashes", "Dog Leash", 12, 45, {"color": COLORS, "material": ["nylon webbing", "leather", "climbing rope"], "length": ["4 ft", "6 ft", "hands-free 8 ft"]}, ["Reflective", "Padded", "Hands-Free", "Heavy-Duty"], "A padded handle and sturdy clip make daily walks more comfortable."),
    ("Pet Supplies", "Dog Supplies", "Dog Toys", "Dog Toy", 6, 29, {"color": COLORS, "material": ["natural rubber", "rope", "plush"], "size": ["S", "M", "L"]}, ["Chew-Resistant", "Squeaky", "Treat-Dispensing", "Floating"], "Built for enthusiastic chewers and easy to rinse clean."),
    ("Pet Supplies", "Cat Supplies", "Cat Trees", "Cat Tree", 39, 199, {"color": ["beige", "gray", "white"], "height": ["32 in", "48 in", "62 in"], "material": ["sisal and plush", "wood and sisal"]}, ["Multi-Level", "Modern", "Compact", "Scratching"], "Sisal-wrapped posts, perches, and a hideaway keep indoor cats busy."),
    ("Pet Supplies", "Cat Supplies", "Litter Boxes", "Litter Box", 19, 149, {"color": ["white", "gray", "black"], "type": ["hooded", "top-entry", "open", "self-cleaning"], "size": ["standard", "large", "extra large"]}, ["Odor-Control", "Enclosed", "Low-Entry", "Self-Cleaning"], "A high-back design cuts down on scatter and a carbon filter traps odors."),
    ("Pet Supplies", "Aquarium", "Aquarium Filters", "Aquarium Filter", 14, 89, {"type": ["hang-on-back", "canister", "sponge"], "tank_size": ["10 gal", "20 gal", "55 gal"]}, ["Quiet", "Three-Stage", "Adjustable-Flow", "Compact"], "Mechanical, biological, and chemical stages keep water clear for fish and plants."),
    # Garden
    ("Garden", "Gardening Tools", "Pruning Shears", "Pruning Shears", 12, 59, {"color": ["red", "orange", "green", "black"], "material": ["carbon steel blades", "stainless steel blades"], "size": ["7 in", "8 in"]}, ["Bypass", "Ratcheting", "Ergonomic", "Heavy-Duty"], "Precision-ground blades make clean cuts on branches up to 3/4 inch thick."),
    ("Garden", "Gardening Tools", "Garden Hoses", "Garden Hose", 19, 99, {"color": ["green", "blue", "black", "gray"], "material": ["rubber", "expandable latex", "polyurethane"], "length": ["25 ft", "50 ft", "100 ft"]}, ["Kink-Free", "Expandable", "Lightweight", "Heavy-Duty"], "Crush-proof brass fittings and a flexible jacket resist kinks and leaks."),
    ("Garden", "Gardening Tools", "Garden Trowels", "Garden Trowel", 8, 34, {"color": ["green", "red", "natural"], "material": ["stainless steel", "forged carbon steel"], "handle": ["ash wood", "rubber grip"]}, ["Ergonomic", "Heavy-Duty", "Transplanting", "Classic"], "Depth markings on the blade make planting bulbs and seedlings precise."),
    ("Garden", "Planters & Raised Beds", "Planters", "Planter", 12, 129, {"color": HOME, "material": ["terracotta", "glazed ceramic", "fiberstone", "recycled plastic"], "size": ["6 in", "10 in", "14 in", "18 in"]}, ["Self-Watering", "Glazed", "Hanging", "Modern"], "A drainage hole and saucer protect roots from overwatering."),
    ("Garden", "Planters & Raised Beds", "Raised Garden Beds", "Raised Garden Bed", 49, 299, {"material": ["cedar", "galvanized steel", "composite"], "size": ["4 x 2 ft", "6 x 3 ft", "8 x 4 ft"]}, ["Tool-Free", "Elevated", "Modular", "Deep"], "Assembles in minutes and gives vegetables deep, well-drained soil."),
    ("Garden", "Outdoor Decor", "Solar Lights", "Solar Path Light Set", 19, 79, {"color": ["black", "bronze", "stainless"], "pack": ["6-pack", "8-pack", "12-pack"], "brightness": ["10 lumens", "30 lumens", "50 lumens"]}, ["Waterproof", "Warm White", "Dusk-to-Dawn", "Decorative"], "Lights switch on automatically at dusk and run up to 10 hours on a full charge."),
    ("Garden", "Outdoor Decor", "Bird Feeders", "Bird Feeder", 14, 69, {"color": ["green", "copper", "black", "natural"], "material": ["powder-coated steel", "cedar", "recycled plastic"], "capacity": ["2 lb", "4 lb", "6 lb"]}, ["Squirrel-Proof", "Hanging", "Window", "Tube"], "Weather-resistant ports and an easy-fill lid attract finches and chickadees."),
    # Tools & Hardware
    ("Tools & Hardware", "Power Tools", "Cordless Drills", "Cordless Drill", 59, 229, {"color": ["yellow", "red", "teal", "black"], "voltage": ["12 V", "18 V", "20 V"], "battery": ["2.0 Ah", "4.0 Ah", "tool only"]}, ["Brushless", "Compact", "Heavy-Duty", "Hammer"], "A two-speed gearbox and LED work light handle everything from shelves to decks."),
    ("Tools & Hardware", "Power Tools", "Circular Saws", "Circular Saw", 69, 249, {"color": ["yellow", "red", "teal"], "blade": ["6-1/2 in", "7-1/4 in"], "power": ["cordless 20 V", "corded 15 A"]}, ["Brushless", "Lightweight", "Worm-Drive", "Compact"], "A bevel capacity of 50 degrees and an electric brake make cuts quick and safe."),
    ("Tools & Hardware", "Hand Tools", "Screwdriver Sets", "Screwdriver Set", 12, 79, {"color": ["red", "black", "yellow"], "pieces": ["12-piece", "32-piece", "64-piece"], "material": ["chrome vanadium steel", "S2 steel"]}, ["Precision", "Magnetic", "Insulated", "Ratcheting"], "Magnetic tips hold screws in place and the case keeps every bit organized."),
    ("Tools & Hardware", "Hand Tools", "Hammers", "Hammer", 14, 59, {"color": ["black", "orange", "natural"], "weight": ["16 oz", "20 oz", "22 oz"], "handle": ["fiberglass", "hickory", "steel"]}, ["Claw", "Framing", "Anti-Vibration", "Classic"], "A milled face and balanced head drive nails with less effort."),
    ("Tools & Hardware", "Hand Tools", "Wrench Sets", "Wrench Set", 19, 129, {"pieces": ["10-piece", "16-piece", "22-piece"], "material": ["chrome vanadium steel", "alloy steel"], "units": ["SAE", "metric", "SAE and metric"]}, ["Ratcheting", "Combination", "Flex-Head", "Professional"], "A 72-tooth ratchet needs only 5 degrees of swing in tight spaces."),
    ("Tools & Hardware", "Tool Storage", "Tool Boxes", "Tool Box", 24, 199, {"color": ["red", "black", "yellow", "gray"], "material": ["steel", "impact-resistant plastic", "aluminum"], "size": ["16 in", "22 in", "26 in"]}, ["Rolling", "Stackable", "Heavy-Duty", "Portable"], "Removable trays and metal latches keep tools organized and secure."),
    # Grocery & Gourmet
    ("Grocery & Gourmet", "Coffee & Tea", "Coffee", "Whole Bean Coffee", 11, 29, {"weight": ["12 oz", "2 lb"], "roast": ["light", "medium", "dark"], "origin": ["Ethiopia", "Colombia", "Guatemala", "Sumatra", "Kenya"]}, ["Single-Origin", "Organic", "Fair Trade", "Espresso"], "Small-batch roasted and shipped within days for the freshest cup."),
    ("Grocery & Gourmet", "Coffee & Tea", "Tea", "Loose Leaf Tea", 8, 32, {"weight": ["2 oz", "4 oz", "8 oz"], "tea_type": ["green", "black", "oolong", "herbal", "white"]}, ["Organic", "Small-Batch", "Decaf", "Ceremonial"], "Whole leaves unfurl for a clean, layered flavor over several infusions."),
    ("Grocery & Gourmet", "Pantry Staples", "Olive Oils", "Extra Virgin Olive Oil", 12, 45, {"volume": ["500 ml", "750 ml", "1 L"], "origin": ["Greece", "Spain", "Italy", "California"]}, ["Cold-Pressed", "Early-Harvest", "Organic", "Robust"], "Peppery and fruity, it is at its best drizzled over salads and grilled bread."),
    ("Grocery & Gourmet", "Pantry Staples", "Hot Sauces", "Hot Sauce", 6, 18, {"volume": ["5 fl oz", "8 fl oz"], "heat": ["mild", "medium", "hot", "extra hot"], "pepper": ["habanero", "chipotle", "ghost pepper", "jalapeño"]}, ["Small-Batch", "Smoky", "Fermented", "Fiery"], "Made with fresh peppers and vinegar, it adds bright heat to tacos and eggs."),
    ("Grocery & Gourmet", "Pantry Staples", "Honey", "Raw Honey", 9, 34, {"weight": ["12 oz", "16 oz", "2 lb"], "varietal": ["wildflower", "clover", "orange blossom", "buckwheat"]}, ["Organic", "Unfiltered", "Local", "Creamed"], "Unheated and unfiltered to keep its natural pollen and floral character."),
    ("Grocery & Gourmet", "Snacks", "Trail Mix", "Trail Mix", 5, 19, {"weight": ["8 oz", "16 oz", "6-pack"], "flavor": ["sweet and salty", "tropical", "dark chocolate cherry", "classic"]}, ["Organic", "Protein", "Unsalted", "Keto-Friendly"], "A hearty mix of nuts, seeds, and fruit that travels well on the trail."),
    ("Grocery & Gourmet", "Snacks", "Chocolate", "Dark Chocolate Bar", 3, 12, {"weight": ["3 oz", "3.5 oz", "6-bar pack"], "cacao": ["70% cacao", "85% cacao"], "flavor": ["sea salt", "orange", "almond", "espresso"]}, ["Organic", "Single-Origin", "Vegan", "Fair Trade"], "Stone-ground cacao gives a smooth snap and a long, complex finish."),
    # Baby
    ("Baby", "Nursery", "Crib Sheets", "Crib Sheet", 14, 39, {"color": HOME, "material": ["organic cotton", "muslin", "jersey knit"], "pack": ["1-pack", "2-pack"]}, ["Breathable", "Fitted", "Organic", "Soft"], "Elastic all around gives a snug, safe fit on standard crib mattresses."),
    ("Baby", "Nursery", "Baby Monitors", "Baby Monitor", 39, 249, {"color": ["white", "gray"], "screen": ["4.3 in", "5 in", "app only"], "range": ["600 ft", "1,000 ft"]}, ["Video", "Audio", "Night Vision", "Split-Screen"], "Room temperature readouts and two-way talk help you soothe from another room."),
    ("Baby", "Feeding", "Baby Bottles", "Baby Bottle Set", 14, 49, {"material": ["glass", "silicone", "BPA-free plastic"], "capacity": ["4 oz", "8 oz"], "pack": ["3-pack", "6-pack"]}, ["Anti-Colic", "Wide-Neck", "Slow-Flow", "Newborn"], "A vented nipple reduces swallowed air and fussiness after feeds."),
    ("Baby", "Feeding", "High Chairs", "High Chair", 59, 299, {"color": HOME, "material": ["beech wood", "plastic and steel"], "type": ["convertible", "folding", "booster"]}, ["Convertible", "Folding", "Compact", "Adjustable"], "A removable tray and wipe-clean seat make mealtime cleanup quick."),
    ("Baby", "Baby Gear", "Strollers", "Stroller", 99, 699, {"color": ["black", "gray", "navy", "olive"], "type": ["full-size", "lightweight", "jogging", "travel system"], "weight": ["14 lb", "22 lb", "29 lb"]}, ["Lightweight", "All-Terrain", "Compact-Fold", "Reversible"], "One-hand fold, all-wheel suspension, and a large basket make errands easy."),
    ("Baby", "Baby Gear", "Baby Carriers", "Baby Carrier", 39, 179, {"color": ["black", "gray", "sand", "navy"], "material": ["cotton", "breathable mesh", "linen blend"], "type": ["structured", "wrap", "sling"]}, ["Ergonomic", "Breathable", "Newborn", "Hip-Seat"], "A wide padded waistband spreads weight for comfortable carrying."),
    # Automotive
    ("Automotive", "Car Electronics", "Dash Cams", "Dash Cam", 39, 249, {"resolution": ["1080p", "2K", "4K"], "channels": ["front only", "front and rear"], "storage": ["32 GB", "64 GB", "128 GB"]}, ["Night Vision", "Wide-Angle", "Compact", "GPS"], "Loop recording and a G-sensor automatically save footage of any incident."),
    ("Automotive", "Car Electronics", "Jump Starters", "Jump Starter", 49, 179, {"color": ["black", "yellow", "red"], "peak_current": ["1000 A", "2000 A", "3000 A"], "capacity": ["12000 mAh", "20000 mAh"]}, ["Portable", "Heavy-Duty", "Compact", "Lithium"], "It restarts a dead battery in seconds and doubles as a USB power bank."),
    ("Automotive", "Car Care", "Car Wash Kits", "Car Wash Kit", 19, 79, {"pieces": ["6-piece", "9-piece", "12-piece"], "type": ["foam cannon", "bucket", "waterless"]}, ["Complete", "Ceramic", "Detailing", "Eco-Friendly"], "Everything needed for a swirl-free wash, from pH-neutral soap to a drying towel."),
    ("Automotive", "Car Care", "Microfiber Towels", "Microfiber Towel Pack", 9, 34, {"color": ["gray", "blue", "yellow", "multicolor"], "size": ["12 x 12 in", "16 x 16 in", "24 x 36 in"], "pack": ["6-pack", "12-pack", "24-pack"]}, ["Plush", "Lint-Free", "Edgeless", "Drying"], "Ultra-soft 400 gsm microfiber lifts dust without scratching clear coat."),
    ("Automotive", "Interior Accessories", "Seat Covers", "Seat Cover Set", 29, 149, {"color": ["black", "gray", "beige", "black/red"], "material": ["neoprene", "faux leather", "canvas"], "fit": ["universal front seats", "full set"]}, ["Waterproof", "Universal", "Breathable", "Heavy-Duty"], "Water-resistant fabric protects upholstery from spills, pets, and mud."),
    ("Automotive", "Interior Accessories", "Floor Mats", "Floor Mat Set", 24, 129, {"color": ["black", "gray", "tan"], "material": ["all-weather rubber", "TPE", "carpet"], "fit": ["universal trim-to-fit", "sedan", "SUV", "truck"]}, ["All-Weather", "Heavy-Duty", "Custom-Fit", "Odorless"], "Deep channels trap snow, mud, and sand before they reach the carpet."),
    # Music Instruments
    ("Music Instruments", "Guitars & Ukuleles", "Acoustic Guitars", "Acoustic Guitar", 149, 899, {"color": ["natural", "sunburst", "black", "mahogany"], "material": ["solid spruce top", "solid cedar top", "all-mahogany"], "size": ["dreadnought", "concert", "parlor", "3/4 travel"]}, ["Beginner", "Solid-Top", "Acoustic-Electric", "Travel"], "A low action and set-up at the factory make it easy to play from day one."),
    ("Music Instruments", "Guitars & Ukuleles", "Ukuleles", "Ukulele", 39, 249, {"color": ["natural", "koa brown", "sunburst", "sea blue"], "material": ["mahogany", "koa", "spruce top"], "size": ["soprano", "concert", "tenor"]}, ["Beginner", "Solid-Top", "Travel", "Electro-Acoustic"], "Aquila-style nylon strings and geared tuners hold pitch well."),
    ("Music Instruments", "Keyboards & Pianos", "Digital Pianos", "Digital Piano", 299, 1299, {"color": ["black", "white", "rosewood"], "keys": ["61 keys", "76 keys", "88 keys"], "action": ["weighted hammer", "semi-weighted"]}, ["Portable", "Home", "Stage", "Beginner"], "Sampled grand piano tones and built-in lessons grow with every player."),
    ("Music Instruments", "Instrument Accessories", "Guitar Strings", "Guitar String Set", 6, 24, {"material": ["phosphor bronze", "80/20 bronze", "nickel-plated steel"], "gauge": ["extra light", "light", "medium"]}, ["Coated", "Long-Life", "Bright", "Warm"], "A thin coating keeps the strings bright-sounding for months."),
    ("Music Instruments", "Instrument Accessories", "Guitar Straps", "Guitar Strap", 12, 59, {"color": EARTH + ["burgundy"], "material": ["leather", "cotton", "padded nylon"], "length": ["adjustable 38-58 in"]}, ["Padded", "Vintage", "Wide", "Locking"], "A wide padded strap spreads the weight over long sets."),
    ("Music Instruments", "Instrument Accessories", "Instrument Cables", "Instrument Cable", 9, 39, {"color": ["black", "tweed", "red"], "length": ["10 ft", "15 ft", "20 ft"], "connector": ["straight", "right-angle"]}, ["Braided", "Low-Noise", "Pro", "Tangle-Free"], "Oxygen-free copper and gold-plated plugs keep the signal clean."),
    # Arts & Crafts
    ("Arts & Crafts", "Painting", "Acrylic Paint Sets", "Acrylic Paint Set", 14, 79, {"colors": ["12 colors", "24 colors", "48 colors"], "tube_size": ["12 ml", "22 ml", "75 ml"]}, ["Artist-Grade", "Student", "Heavy-Body", "Metallic"], "Richly pigmented paints dry fast and stay flexible on canvas, wood, and paper."),
    ("Arts & Crafts", "Painting", "Watercolor Sets", "Watercolor Set", 12, 89, {"colors": ["12 colors", "24 colors", "36 colors"], "format": ["half pans", "tubes"]}, ["Travel", "Professional", "Pocket", "Student"], "A compact tin with a mixing palette is made for painting outdoors."),
    ("Arts & Crafts", "Painting", "Canvas Panels", "Canvas Panel Pack", 9, 49, {"size": ["8 x 10 in", "11 x 14 in", "16 x 20 in"], "pack": ["6-pack", "12-pack"], "material": ["cotton canvas", "linen canvas"]}, ["Primed", "Acid-Free", "Studio", "Value"], "Triple-primed with acrylic gesso and ready for oils or acrylics."),
    ("Arts & Crafts", "Drawing", "Sketchbooks", "Sketchbook", 7, 34, {"color": ["black", "kraft", "navy", "green"], "size": ["A5", "A4", "9 x 12 in"], "paper": ["100 gsm", "150 gsm", "200 gsm mixed media"]}, ["Hardcover", "Spiral", "Mixed-Media", "Pocket"], "Heavy, acid-free pages handle pencil, ink, and light washes."),
    ("Arts & Crafts", "Drawing", "Colored Pencils", "Colored Pencil Set", 9, 69, {"colors": ["24 colors", "48 colors", "72 colors"], "type": ["oil-based", "wax-based", "watercolor"]}, ["Artist", "Soft-Core", "Blendable", "Premium"], "Soft, break-resistant cores layer and blend smoothly."),
    ("Arts & Crafts", "Sewing & Knitting", "Yarn", "Yarn", 5, 24, {"color": COLORS, "material": ["merino wool", "cotton", "alpaca", "acrylic"], "weight": ["fingering", "worsted", "bulky"], "length": ["220 yd", "440 yd"]}, ["Soft", "Hand-Dyed", "Superwash", "Chunky"], "Plied for stitch definition and easy care."),
    ("Arts & Crafts", "Sewing & Knitting", "Sewing Machines", "Sewing Machine", 99, 499, {"color": ["white", "mint", "light blue"], "stitches": ["60 stitches", "100 stitches", "200 stitches"], "type": ["mechanical", "computerized"]}, ["Beginner", "Heavy-Duty", "Computerized", "Portable"], "An automatic needle threader and one-step buttonholes speed up every project."),
]

SIZE_KEYS = ("size", "capacity", "thickness", "weight", "volume", "length", "pieces", "format", "keys",
             "colors")  # the first of these in a type's attributes goes in the title
ADJ_ATTRS = {  # an adjective that states a fact also becomes an attribute
    "Waterproof": ("waterproof", "yes"), "Noise Cancelling": ("noise_cancelling", "active"),
    "Insulated": ("insulated", "yes"), "Organic": ("organic", "yes"), "Non-Slip": ("non_slip", "yes"),
    "Fragrance-Free": ("fragrance_free", "yes"), "Wireless": ("wireless", "yes"),
}
KEEP_CASE = {"Japan", "Portugal", "Pacific", "Northwest", "North", "America", "Patagonia", "Mediterranean",
             "National", "Parks", "STEM", "GPS", "USB-C"}
CLOSERS = [  # optional last sentence; filled from STORE so the numbers match the policies
    "Ships from the {store_name} warehouse within one business day.",
    "Covered by our {warranty_years}-year warranty and {return_window_days}-day return window.",
    "Browse the rest of our {sub} range for matching pieces.",
    "Orders of ${free_shipping_threshold:.0f} or more ship free with standard delivery.",
    "Designed to last, so you buy it once and keep using it for years.",
]
FIRST_NAMES = ["Ava", "Ben", "Carmen", "Dev", "Elena", "Felix", "Grace", "Hiro", "Imani", "Jonah", "Kira",
               "Luis", "Maya", "Nikhil", "Olivia", "Pavel", "Quinn", "Rosa", "Samir", "Tessa", "Uma",
               "Victor", "Wren", "Xavier", "Yara", "Zane", "Amara", "Bruno", "Chloe", "Dmitri"]
LAST_NAMES = ["Abernathy", "Balogun", "Castellano", "Dunmore", "Eriksen", "Falkner", "Gallardo", "Hollings",
              "Ishikawa", "Jablonski", "Kowalczyk", "Lindqvist", "Montague", "Nakashima", "Okonkwo",
              "Pemberton", "Quintero", "Rasmussen", "Sorensen", "Thackeray", "Underhill", "Vasquez",
              "Whitcombe", "Yilmaz"]
CARRIERS = [("Parcelway", "PW"), ("Northbridge Freight", "NBF"), ("Meridian Post", "MP")]


# ----------------------------------------------------------------------------- helpers
def soft_lower(text: str) -> str:
    return " ".join(w if (w in KEEP_CASE or w.isupper()) else w.lower() for w in text.split())


def poisson(rng: random.Random, lam: float) -> int:
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def add_business_days(day: date, n: int) -> date:
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def dump_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# ----------------------------------------------------------------------------- items
def make_item(rng: random.Random, top: str, sub: str, spec: tuple) -> dict:
    leaf, noun, lo, hi, attr_spec, adjectives, blurb = spec
    brand = rng.choice(BRANDS[top])
    adj = rng.choice(adjectives + adjectives[:1])  # the first adjective is the type's signature one
    attrs = {key: rng.choice(values) for key, values in attr_spec.items()}
    if adj in ADJ_ATTRS:
        attrs[ADJ_ATTRS[adj][0]] = ADJ_ATTRS[adj][1]
    size_key = next((k for k in attr_spec if k in SIZE_KEYS), None)

    # price: log-uniform in the type's range, a little more for larger sizes, retail endings
    price = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    if size_key and len(attr_spec[size_key]) > 1:
        price *= 1 + 0.25 * attr_spec[size_key].index(attrs[size_key]) / (len(attr_spec[size_key]) - 1)
    price = round(max(1, int(price)) + rng.choice([0.99, 0.99, 0.99, 0.49, 0.95, 0.0]), 2)

    shown = [attrs["color"].title()] if "color" in attrs else []
    if size_key:
        shown.append(attrs[size_key])
    if len(shown) < 2:
        shown += [v for k, v in attrs.items() if k not in ("color", size_key)][: 2 - len(shown)]
    title = f"{brand} {adj} {noun}, " + ", ".join(v[0].upper() + v[1:] for v in shown)

    plural = noun.endswith("s") and not noun.endswith("ss")
    this, is_, comes = ("These", "are", "come") if plural else ("This", "is", "comes")
    lead = f"{this} {soft_lower(adj)} {soft_lower(noun)} from {brand}"
    parts = []
    if "color" in attrs:
        parts.append(f"{comes} in {attrs['color']}")
    if "material" in attrs:
        parts.append(f"{is_} made from {attrs['material']}")
    first = f"{lead} {' and '.join(parts)}." if parts else f"{lead} {is_} part of our {sub.lower()} range."
    specs = []
    for key, value in attrs.items():
        if key in ("color", "material"):
            continue
        name = key.replace("_", " ")
        if value in ("yes", "no"):
            specs.append(name if value == "yes" else f"not {name}")
        else:  # "60 stitches" rather than "stitches 60 stitches"
            specs.append(value if name.rstrip("s") in value.lower() else f"{name} {value}")
    sentences = [first, blurb]
    if specs:
        sentences.append("Specs: " + ", ".join(specs) + ".")
    if rng.random() < 0.5:
        sentences.append(rng.choice(CLOSERS).format(sub=sub.lower(), **STORE))
    return {"title": title, "description": " ".join(sentences), "category": [top, sub, leaf], "brand": brand,
            "price": price, "attributes": attrs}


def build_items(rng: random.Random) -> tuple[list[dict], list[float]]:
    types = [(t[0], t[1], t[2:]) for t in TYPES]
    plan = [types[i % len(types)] for i in range(N_ITEMS)]
    rng.shuffle(plan)
    ranks = list(range(1, N_ITEMS + 1))
    rng.shuffle(ranks)
    popularity = [r ** -ZIPF_EXPONENT for r in ranks]
    scale = TOTAL_RATINGS / sum(p**RATING_POWER for p in popularity)
    items, seen = [], set()
    for idx, (top, sub, spec) in enumerate(plan):
        for _ in range(50):  # avoid duplicate titles
            base = make_item(rng, top, sub, spec)
            if base["title"] not in seen:
                break
        seen.add(base["title"])
        count = poisson(rng, popularity[idx] ** RATING_POWER * scale * rng.lognormvariate(0, 0.5))
        quality = min(4.9, max(2.6, rng.gauss(4.25, 0.35)))
        if count == 0:
            rating = None
        elif count <= 50:  # average of individual 1-5 star ratings
            stars = [min(5, max(1, round(rng.gauss(quality, 1.0)))) for _ in range(count)]
            rating = round(sum(stars) / count, 1)
        else:
            rating = round(min(5.0, max(1.0, rng.gauss(quality, 0.1))), 1)
        items.append({"id": f"LT-{idx + 1:05d}", "title": base["title"], "description": base["description"],
                      "category": base["category"], "brand": base["brand"], "price": base["price"],
                      "currency": "USD", "attributes": base["attributes"], "in_stock": rng.random() < 0.92,
                      "rating": rating, "rating_count": count})
    return items, popularity


# ----------------------------------------------------------------------------- interactions
class Sampler:
    """Popularity-weighted sampling of item indices within a category (top level or subcategory)."""

    def __init__(self, items: list[dict], popularity: list[float], depth: int):
        self.groups: dict[tuple, tuple[list[int], list[float]]] = {}
        for i, item in enumerate(items):
            key = tuple(item["category"][:depth])
            idx, cum = self.groups.setdefault(key, ([], []))
            idx.append(i)
            cum.append((cum[-1] if cum else 0.0) + popularity[i])

    def draw(self, rng: random.Random, key: tuple) -> int:
        idx, cum = self.groups[key]
        return rng.choices(idx, cum_weights=cum)[0]


def build_interactions(rng: random.Random, items: list[dict], popularity: list[float]) -> list[tuple]:
    tops, by_top, by_sub = list(BRANDS), Sampler(items, popularity, 1), Sampler(items, popularity, 2)
    span = int((END - START).total_seconds()) - 3 * 3600
    rows = []
    for u in range(1, N_USERS + 1):
        user = f"U{u:05d}"
        prefs = rng.sample(tops, rng.choice([1, 2, 2, 3]))
        for _ in range(min(40, max(1, round(rng.lognormvariate(SESSION_MU, 0.8))))):
            top = rng.choice(prefs) if rng.random() < 0.85 else rng.choice(tops)
            first = by_top.draw(rng, (top,))
            viewed = [first]
            while rng.random() < BROWSE_RATE and len(viewed) < 8:  # browse nearby, mostly same subcategory
                key = tuple(items[first]["category"][:2]) if rng.random() < 0.7 else (top,)
                nxt = (by_sub if len(key) == 2 else by_top).draw(rng, key)
                if nxt not in viewed:
                    viewed.append(nxt)
            t = START + timedelta(seconds=rng.randrange(span))
            for i in viewed:
                rows.append((t, user, items[i]["id"], "view"))
                t += timedelta(seconds=rng.randint(15, 300))
            if rng.random() < CART_RATE:
                pick = rng.choice(viewed)
                rows.append((t, user, items[pick]["id"], "add_to_cart"))
                if rng.random() < PURCHASE_RATE:
                    t += timedelta(seconds=rng.randint(30, 900))
                    rows.append((t, user, items[pick]["id"], "purchase"))
    order = {"view": 0, "add_to_cart": 1, "purchase": 2}
    rows.sort(key=lambda r: (r[0], r[1], order[r[3]], r[2]))
    return rows


def purchase_stats(items: list[dict], rows: list[tuple]) -> dict:
    counts = {item["id"]: 0 for item in items}
    for _, _, item_id, event in rows:
        if event == "purchase":
            counts[item_id] += 1
    ordered = sorted(counts.values(), reverse=True)
    total = sum(ordered)
    return {"purchases": total, "top20_share": sum(ordered[: len(ordered) // 5]) / total,
            "items_le5": sum(1 for c in ordered if c <= 5), "items_zero": sum(1 for c in ordered if c == 0)}


# ----------------------------------------------------------------------------- customers & orders
def build_customers(rng: random.Random) -> list[dict]:
    pairs = rng.sample([(f, l) for f in FIRST_NAMES for l in LAST_NAMES], N_CUSTOMERS)
    return [{"customer_id": f"C{i:04d}", "name": f"{f} {l}", "email": f"{f}.{l}@example.com".lower()}
            for i, (f, l) in enumerate(pairs, 1)]


def build_orders(rng: random.Random, items: list[dict], popularity: list[float], customers: list[dict]):
    days = []
    for _ in range(N_ORDERS):  # a quarter of the orders are recent, so some are still in transit
        recent = rng.random() < 0.25
        days.append(TODAY - timedelta(days=rng.randint(1, 14) if recent else rng.randint(15, 299)))
    days.sort()
    orders = []
    for n, created in enumerate(days):
        customer = rng.choice(customers)
        picks = []
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
            i = rng.choices(range(len(items)), weights=popularity)[0]
            if i not in picks:
                picks.append(i)
        lines = [{"item_id": items[i]["id"], "quantity": rng.choice([1, 1, 1, 1, 2, 2, 3]),
                  "unit_price": items[i]["price"]} for i in picks]
        total = round(sum(line["quantity"] * line["unit_price"] for line in lines), 2)
        age = (TODAY - created).days
        if age > 12:
            status = rng.choices(["delivered", "returned", "cancelled"], [82, 10, 8])[0]
        elif age > 4:
            status = rng.choices(["shipped", "delivered", "cancelled"], [42, 48, 10])[0]
        else:
            status = rng.choices(["placed", "shipped", "cancelled"], [55, 37, 8])[0]
        express = rng.random() < 0.2
        eta = add_business_days(created, rng.randint(1, 2) if express else rng.randint(3, 5))
        if status == "delivered" and eta > TODAY:
            status = "shipped"
        tracking = carrier = None
        if status in ("shipped", "delivered"):
            carrier, prefix = rng.choice(CARRIERS)
            tracking = prefix + "".join(str(rng.randrange(10)) for _ in range(12))
        orders.append({
            "order_id": f"ORD-{10001 + n}", "customer_id": customer["customer_id"],
            "email": customer["email"], "created": created.isoformat(), "status": status, "items": lines,
            "total": total, "currency": "USD",
            "tracking_number": tracking, "carrier": carrier,
            "estimated_delivery": eta.isoformat() if status in ("placed", "shipped", "delivered") else None,
        })
    return orders


# ----------------------------------------------------------------------------- policies
def policies() -> dict[str, str]:
    s = STORE
    name, email, phone = s["store_name"], s["support_email"], s["support_phone"]
    days, free = s["return_window_days"], s["free_shipping_threshold"]
    std, exp = s["standard_shipping_days"], s["express_shipping_days"]
    exp_price, years, hours = s["express_shipping_price"], s["warranty_years"], s["order_change_window_hours"]
    contact = (f"## Contact us\n\nEmail {email} or call {phone} (Monday to Friday, 8 a.m. to 8 p.m. "
               "Eastern). Have your order number (it starts with ORD-) ready so we can help you faster.\n")
    return {
        "returns.md": f"""# Returns and Refunds

We want you to love what you buy at {name}. If something is not right, you can send it back.

## Return window

You can return most items within {days} days of delivery for a full refund of the item price. The {days}-day window starts on the delivery date shown in your order tracking. Items must be unused, in their original packaging, and include all accessories, manuals, and tags.

## Items that cannot be returned

For health and safety reasons, opened grocery and gourmet products, opened beauty and personal care products, and opened baby bottles cannot be returned. Gift cards and digital downloads are final sale. Instrument strings that have been removed from their sealed pouch cannot be returned. If one of these items arrives damaged or defective, contact us and we will make it right.

## How to start a return

1. Sign in to your account, open the order, and choose "Return items", or email {email} with your order number.
2. Select the items and the reason for the return.
3. We email you a prepaid return label within one business day.
4. Pack the items securely, attach the label, and drop the package off with the carrier within 14 days.

## Return shipping costs

Returns of damaged, defective, or incorrect items are always free. For all other returns, a flat return shipping fee of $6.99 is deducted from your refund. Original shipping charges are refunded only when the return is due to our error.

## Refunds

We inspect returned items and issue your refund within 5 business days of receiving them. Refunds go back to the original payment method. Your bank or card issuer may take an additional 3 to 10 business days to post the credit. Orders paid with a gift card are refunded as store credit.

## Exchanges

We do not process direct exchanges. Return the original item for a refund and place a new order for the size, color, or model you want. This is the fastest way to get the replacement, since new orders ship right away.

## Damaged or incorrect items

If your order arrives damaged, defective, or is not what you ordered, tell us within 7 days of delivery. Send a photo of the item and the packaging and we will ship a replacement at no cost or issue a full refund, including shipping.

{contact}""",
        "shipping.md": f"""# Shipping and Delivery

{name} ships to all 50 U.S. states, Washington D.C., and APO/FPO addresses. We do not ship internationally at this time. All prices and shipping charges are in U.S. dollars.

## Shipping options and costs

- **Standard shipping:** {std} business days. Costs ${STANDARD_SHIPPING_PRICE:.2f} per order, and is free on orders of ${free:.0f} or more.
- **Express shipping:** {exp} business days for ${exp_price:.2f} per order, regardless of order size.

The free shipping threshold of ${free:.0f} is calculated on the item subtotal after discounts and before taxes. Gift card purchases do not count toward the threshold.

## Processing time

Orders placed before 2 p.m. Eastern on a business day leave our warehouse the same day. Orders placed later, or on weekends and holidays, ship the next business day. Delivery estimates count business days (Monday to Friday, excluding U.S. federal holidays) from the day the order ships.

## Tracking your order

As soon as your package leaves the warehouse we email you a tracking number and the name of the carrier. We ship with Parcelway, Northbridge Freight, and Meridian Post. You can also see tracking details and the estimated delivery date on the order page in your account, or ask our assistant with your order number and email address.

## Large and heavy items

Oversized items such as standing desks, office chairs, raised garden beds, and strollers ship by standard shipping only and may take up to 2 extra business days. Express shipping is not available for these items.

## Late, lost, or damaged packages

If your tracking has not updated for 5 business days, or your package is more than 3 business days past its estimated delivery date, contact us. We will open a trace with the carrier and, if the package cannot be found, send a replacement or issue a full refund, including shipping. If a package arrives damaged, keep the box and report it within 7 days of delivery.

## Address problems

Please double-check your shipping address before you order. You can change the address within {hours} hour of placing the order. After an order ships we cannot redirect it, but the carrier may allow you to change the delivery option using your tracking number.

{contact}""",
        "payment.md": f"""# Payment Options

{name} accepts several secure ways to pay. All prices are shown and charged in {s["currency"]} (U.S. dollars).

## Accepted payment methods

- Credit and debit cards: Visa, Mastercard, American Express, and Discover
- PayPal
- Apple Pay and Google Pay
- {name} gift cards and store credit

We do not accept cash on delivery, checks, money orders, or cryptocurrency. You can combine one gift card with one card or wallet payment on the same order.

## When you are charged

When you place an order we place a temporary authorization hold on your payment method for the order total. Your card is charged only when the order ships. If an order ships in more than one package, you are charged for each package as it ships. If you cancel within the {hours}-hour change window, the hold is released, usually within 3 to 5 business days depending on your bank.

## Sales tax

We collect sales tax where required by law, based on the shipping address. The tax amount is shown at checkout before you place the order. Shipping charges are taxed only in states that require it.

## Gift cards and store credit

Gift cards are sold in amounts from $10 to $500 and never expire. They can be used for any product except other gift cards. Store credit from refunds is added to your account automatically and also does not expire.

## Declined payments

If a payment is declined, check that the billing address matches the one on file with your bank and that the card has not expired. We hold the items in your cart for 24 hours while you try another payment method. For your security we cannot see or tell you the reason a bank declined a card; please contact your bank directly.

## Price adjustments

If the price of an item you bought drops within 14 days of your order, contact us and we will refund the difference once per item. Price adjustments do not apply to clearance or limited-time flash sales.

## Payment security

Card details are processed by a PCI DSS compliant payment provider and are never stored on our servers. {name} will never ask for your full card number, security code, or password by email, chat, or phone.

{contact}""",
        "warranty.md": f"""# Warranty

Every product sold by {name} is covered by our {years}-year limited warranty, in addition to your {days}-day right to return.

## What the warranty covers

The {name} warranty covers defects in materials and workmanship under normal use for {years} year ({12 * years} months) from the delivery date. Examples include a zipper that fails on a new jacket, a headphone driver that stops working, a cracked weld on cookware, or a power tool that will not charge.

## What is not covered

- Normal wear and tear, such as worn outsoles, faded colors, or scratches
- Damage from accidents, drops, misuse, improper cleaning, or unauthorized repairs
- Consumable items: grocery products, beauty products, batteries after 6 months, instrument strings, and paint
- Items bought from other sellers, even if they are the same brand

## Manufacturer warranties

Some brands offer a longer manufacturer warranty, which is listed on the product page. Where a manufacturer warranty is longer than ours, we will help you file the claim with the manufacturer after our {years}-year coverage ends.

## How to make a warranty claim

1. Email {email} with your order number, the item, and a short description of the problem.
2. Attach photos or a short video that shows the defect.
3. Our team replies within 2 business days. If the claim is approved, we send a prepaid shipping label if we need the item back.

## Remedies

For an approved claim we will repair the item, replace it with the same or a comparable model, or refund the purchase price, at our choice. A replacement item is covered for the rest of the original warranty or 90 days, whichever is longer. Warranty shipping is always free.

## Warranty or return?

If the problem shows up within {days} days of delivery, the quickest fix is a return for a full refund under our returns policy. After {days} days, use the warranty process described above.

{contact}""",
        "order-changes.md": f"""# Changing or Cancelling an Order

Plans change. Here is what you can change on an order at {name}, and when.

## The {hours}-hour change window

You can change or cancel an order within {hours} hour of placing it. During this window you can update the shipping address, switch between standard and express shipping, change item quantities, remove items, or cancel the whole order for a full refund. Open the order in your account and choose "Change order", ask our assistant, or contact support with your order number.

## After the change window

After {hours} hour the order moves to our warehouse for picking and packing, and we can no longer guarantee changes. If the order has not shipped yet, contact us right away and we will try to stop it. Once an order has shipped it cannot be changed or cancelled; you can refuse the delivery or return the items under our {days}-day returns policy.

## Cancelling an order

Orders cancelled within the change window are refunded in full, including shipping. Because we only authorize your card when you order and charge it when the order ships, most cancellations simply release the authorization hold within 3 to 5 business days. If you were already charged, the refund goes back to the original payment method within 5 business days.

## Adding items to an order

We cannot add items to an order that has already been placed. Place a new order instead. The free shipping threshold of ${free:.0f} applies to each order separately, so orders cannot be combined to reach it.

## Changing the shipping address

Address changes are only possible within the {hours}-hour change window. If the order has already shipped, use the tracking link from your shipping confirmation email; the carrier may offer to hold the package or deliver it to a pickup point.

## Orders we cancel

We may cancel an order if an item turns out to be out of stock, if the payment cannot be verified, or if the price was listed in error. We will always email you when this happens, and any charge is refunded in full. Items marked out of stock on the product page cannot be ordered until they are back in stock.

{contact}""",
    }


# ----------------------------------------------------------------------------- main
def readme(counts: dict, stats: dict) -> str:
    return f"""# Longtail demo store data

Generated by `longtail/demo/generate.py` (Python standard library only, seed {SEED}). Do not edit by hand: change the generator and run `python longtail/demo/generate.py`; two runs produce byte-identical files. All names, brands, people, and carriers are invented; emails use example.com.

## Files

| file | contents |
| --- | --- |
| `items.jsonl` | {counts["items"]} products in {counts["top_categories"]} top-level and {counts["leaf_categories"]} leaf categories, one JSON object per line |
| `interactions.csv` | {counts["interactions"]} events from {counts["users"]} demo users: {counts["views"]} views, {counts["carts"]} add-to-carts, {counts["purchases"]} purchases |
| `customers.json` | {counts["customers"]} customers |
| `orders.json` | {counts["orders"]} orders (totals are item subtotals, before shipping and tax) |
| `policies/*.md` | {counts["policies"]} store policies; `policies/store.json` holds the key numbers they state |

## Popularity

Each item has a latent popularity 1 / rank^{ZIPF_EXPONENT} over a random permutation of the catalog. Interactions sample items by it (85% of sessions within the user's 1-3 preferred top-level categories). `rating_count` follows popularity^{RATING_POWER} with noise, so a few bestsellers have thousands of ratings and most items have 0-5.

- Share of purchases held by the top 20% of items: {stats["top20_share"]:.1%}
- Items with <= 5 purchases: {stats["items_le5"]} of {counts["items"]} ({stats["items_zero"]} never purchased)
- Items with 0 ratings: {counts["zero_ratings"]}; with <= 5 ratings: {counts["few_ratings"]}; with >= 1,000 ratings: {counts["big_ratings"]}
"""


def main(out_dir: Path = OUT_DIR) -> None:
    rng = random.Random(SEED)
    items, popularity = build_items(rng)
    rows = build_interactions(rng, items, popularity)
    customers = build_customers(rng)
    orders = build_orders(rng, items, popularity, customers)

    (out_dir / "policies").mkdir(parents=True, exist_ok=True)
    with open(out_dir / "items.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
    with open(out_dir / "interactions.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["user_id", "item_id", "event", "timestamp"])
        for ts, user, item_id, event in rows:
            writer.writerow([user, item_id, event, iso(ts)])
    dump_json(out_dir / "customers.json", customers)
    dump_json(out_dir / "orders.json", orders)
    docs = policies()
    for filename, text in docs.items():
        (out_dir / "policies" / filename).write_text(text, encoding="utf-8")
    dump_json(out_dir / "policies" / "store.json", STORE)

    stats = purchase_stats(items, rows)
    events = [r[3] for r in rows]
    counts = {
        "items": len(items), "top_categories": len(BRANDS),
        "leaf_categories": len({tuple(i["category"]) for i in items}), "interactions": len(rows),
        "users": len({r[1] for r in rows}), "views": events.count("view"),
        "carts": events.count("add_to_cart"),
        "purchases": events.count("purchase"), "customers": len(customers), "orders": len(orders),
        "policies": len(docs), "zero_ratings": sum(1 for i in items if i["rating_count"] == 0),
        "few_ratings": sum(1 for i in items if i["rating_count"] <= 5),
        "big_ratings": sum(1 for i in items if i["rating_count"] >= 1000),
    }
    (out_dir / "README.md").write_text(readme(counts, stats), encoding="utf-8")
    print(json.dumps({**counts, **{k: round(v, 4) for k, v in stats.items()}}, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT_DIR)
