"""Shopper phrasings written for the dialogue-act model, for the acts and domains the real corpora do not cover.

SIMMC 2.1 is fashion only and has no small talk or support; Bitext has support but no products. These phrases
cover other shops (books, phones, sports, office, home, electronics, toys, beauty), questions about shown items,
the cart, acknowledgements, and support problems in ordinary words. ``{x}`` slots are filled by
:mod:`finetune.acts` from a domain's own nouns and values. Evaluation data is written separately
(``evaluation/data``) and never used here.
"""

from __future__ import annotations

# per domain: things to ask for, questions about a shown item, refinements, a colour / brand / person
DOMAINS: dict[str, dict[str, tuple[str, ...]]] = {
    "books": {
        "need": ("a mystery novel", "books for a 7 year old", "a good thriller", "a cookbook", "fantasy books",
                 "a biography", "something about world history", "a graphic novel", "books like harry potter",
                 "a romance novel", "a sci-fi book", "a book for my book club", "poetry", "audiobooks",
                 "a self help book", "childrens picture books", "a travel guide for italy"),
        "ask": ("is it a thriller?", "how many pages does it have?", "is it part of a series?", "who wrote it?",
                "is it available in paperback?", "is that one ok for kids?", "what's it about?",
                "when was it published?", "is it the first book in the series?", "is there an audiobook version?",
                "is it a hardcover?", "is that one scary?", "what genre is it?", "is it based on a true story?",
                "what's the page count?", "is the second one a standalone?"),
        "refine": ("something shorter", "in paperback", "by a different author", "for adults", "something lighter",
                   "any newer ones?", "more in that genre", "not fantasy", "for a teenager", "with pictures"),
    },
    "phones": {
        "need": ("a phone", "a smartphone with a good camera", "an android phone", "a cheap phone", "a phone case",
                 "a phone for my mom", "a phone with long battery life", "wireless earbuds", "a charger",
                 "a glass screen protector", "an unlocked phone", "a small phone", "a tablet for reading"),
        "ask": ("does it have a headphone jack?", "what's the battery life?", "how much storage does it have?",
                "is it waterproof?", "does it support 5g?", "how big is the screen?", "does it come with a charger?",
                "is it unlocked?", "does it have wireless charging?", "how good is the camera?",
                "does it take an sd card?", "how much ram?", "what colours does it come in?", "is it dual sim?",
                "will it work with verizon?", "does the first one have face unlock?"),
        "refine": ("with more storage", "at least 128gb", "a smaller one", "an iphone instead", "with a bigger screen",
                   "without a notch", "a newer model", "with better battery", "android only", "a foldable one"),
    },
    "sports": {
        "need": ("running shoes", "track pants", "a yoga mat", "a tennis racket", "hiking boots", "a football",
                 "a bike helmet", "dumbbells", "a swimsuit", "a gym bag", "shin guards", "a jump rope",
                 "a basketball", "cycling gloves", "a water bottle for the gym", "ski goggles"),
        "ask": ("are they waterproof?", "what sizes do they come in?", "how heavy is it?", "is it good for beginners?",
                "what material is it?", "is it machine washable?", "do they run small?", "is it adjustable?",
                "how thick is the mat?", "is the grip good?", "can you use it indoors?", "what's the weight limit?",
                "does it fold up?", "are they good for flat feet?", "is the helmet certified?"),
        "refine": ("for a girl of 7", "it is for my son, he's 10", "for women", "in size 8", "for trail running",
                   "for a beginner", "something lighter", "for wide feet", "a kids size", "for my husband",
                   "for outdoor use", "a heavier one", "for marathon training"),
    },
    "office": {
        "need": ("a desk chair", "a stapler", "notebooks", "printer paper", "a standing desk", "gel pens",
                 "a desk lamp", "a filing cabinet", "sticky notes", "a whiteboard", "an ergonomic keyboard",
                 "a monitor stand", "envelopes", "a label maker", "a planner for next year"),
        "ask": ("is it adjustable?", "how many sheets are in a pack?", "does it come assembled?", "what are the dimensions?",
                "how much weight can it hold?", "is the ink waterproof?", "does it have wheels?", "is it refillable?",
                "what's the paper weight?", "does it need batteries?", "is it lined or blank?", "how tall is it?"),
        "refine": ("a bigger pack", "with armrests", "in a smaller size", "something more ergonomic", "refillable ones",
                   "a cheaper brand", "with a drawer", "for a small desk", "in bulk"),
    },
    "home": {
        "need": ("a frying pan", "a coffee maker", "bed sheets", "a blender", "a kettle", "throw pillows",
                 "a rice cooker", "knives", "a vacuum", "storage boxes", "a duvet", "a toaster", "plant pots"),
        "ask": ("is it dishwasher safe?", "does it work on induction?", "what's the thread count?", "how loud is it?",
                "what size is the pan?", "is it non stick?", "how many cups does it make?", "is it oven safe?",
                "what's the warranty on it?", "does it have an auto shut off?", "how big is it?"),
        "refine": ("a bigger one", "for a family of four", "in stainless steel", "something quieter", "king size",
                   "a set instead", "without teflon"),
    },
    "electronics": {
        "need": ("headphones", "a laptop for school", "a bluetooth speaker", "a smart watch", "a webcam",
                 "a gaming mouse", "a tv", "a kindle", "a usb hub", "noise cancelling headphones", "a power bank"),
        "ask": ("is it noise cancelling?", "does it have bluetooth?", "how long does the battery last?",
                "does it work with mac?", "how much does it weigh?", "is it wireless?", "what ports does it have?",
                "does it have a mic?", "is it compatible with iphone?", "what's the resolution?"),
        "refine": ("wireless ones", "over ear instead", "with a longer battery", "a lighter laptop", "for gaming",
                   "with usb c", "a smaller speaker"),
    },
    "toys": {
        "need": ("a board game for the family", "lego", "a puzzle", "a gift for a 5 year old", "outdoor toys",
                 "a stuffed animal", "a science kit", "card games", "a toy for a toddler"),
        "ask": ("what age is it for?", "how many players?", "how long does a game take?", "how many pieces?",
                "does it need batteries?", "is it safe for toddlers?", "is it educational?"),
        "refine": ("for older kids", "for two players", "something quieter", "for a boy of 9", "for ages 3 and up",
                   "a smaller set"),
    },
    "beauty": {
        "need": ("a moisturiser", "shampoo for curly hair", "sunscreen", "a perfume gift", "lipstick",
                 "a face wash", "hair dryer", "nail polish", "an eye cream"),
        "ask": ("is it fragrance free?", "is it vegan?", "what skin type is it for?", "what's the spf?",
                "how big is the bottle?", "is it cruelty free?", "does it have parabens?"),
        "refine": ("for sensitive skin", "for dry skin", "unscented", "a travel size", "for men", "a natural one"),
    },
}
COLORS = ("blue", "red", "black", "white", "green", "pink", "grey", "navy", "purple", "beige")
BRANDS = ("nike", "penguin", "samsung", "apple", "ikea", "adidas", "sony", "moleskine", "lego", "dyson")
PERSONS = ("my daughter", "my son", "my wife", "my husband", "my dad", "my mom", "a friend", "my boss",
           "my nephew", "a coworker", "my grandma", "my girlfriend", "a 10 year old", "a teenager")

NEED_FORMS = (
    "{n}", "i'm looking for {n}", "do you have {n}?", "what are some {n}", "can you recommend {n}?", "i need {n}",
    "show me {n}", "any {n}?", "i want to buy {n}", "looking for {n}", "i'd like {n}", "got any {n}?",
    "help me find {n}", "what would you suggest for {n}?", "what are the best {n}?", "suggest {n}",
    "i want {n}", "recommend me {n}", "i'm shopping for {n}", "need {n} asap", "hi, i need {n}",
    "what {n} do you have?", "can i see {n}", "i am after {n}", "do you sell {n}", "where can i find {n}",
    "i'd love some {n}", "i want to get {n} for {p}", "a 2 person {n}", "{n} for 4 people", "{n} for two",
    "{n} for a family of 5", "{n} for 6 persons", "a one-person {n}", "something for {p}: {n}", "we need {n}",
    "i'm looking to buy {n} for {p}", "what do you have in {n}?", "any suggestions for {n}?",
    "could you show me {n} please", "hey, do you carry {n}?", "i've been looking for {n}",
    "now i need {n}", "ok now show me {n}", "different question, do you have {n}?", "also, {n}?",
    "and do you have {n}?", "what about {n} instead?", "i also need {n}",
)
NEED_PRICED = ("{n} under {price}", "{n}, not more than {price}", "i need {n}, budget {price}",
               "{n} for around {price}", "{n} between {lo} and {hi}", "{n} at most {price}",
               "cheap {n}", "the best {n} money can buy", "{n} that won't break the bank")

REFINE_FORMS = (
    "{r}", "something {r}", "do you have any {r}?", "what about {r}?", "maybe {r}", "i'd prefer {r}",
    "actually {r}", "it needs to be {r}", "ones {r} please", "anything {r}?", "how about {r}",
    "can you show me {r}", "oh, and {r}", "preferably {r}",
)
REFINE_GENERIC = (
    "cheaper", "cheaper ones", "less expensive", "something cheaper", "pricier", "bigger", "newer", "lighter",
    "cheaper please", "anything cheaper?", "those are too expensive", "something more affordable",
    "under {price}", "not more than {price}", "can't go above {price}", "nothing over {price} please",
    "in {c}", "any in {c}?", "do you have them in {c}?", "what about {c}?", "only {c} ones",
    "show me more", "other options?", "anything else?", "more like the {o} one", "something similar to the {o}",
    "a different brand", "not {b}", "any from {b}?", "only {b}", "show me the earlier ones again", "what were the earlier ones?",
    "go back to the previous results", "better reviews please", "only ones in stock", "higher rated ones",
    "it is for {p}", "it's for {p}", "they are for {p}", "this is a gift for {p}", "{p} is 7",
    "she is 12", "he's 15 and loves football", "she likes horses", "he's into space", "for a beginner",
    "something bigger", "smaller ones", "a lighter one", "more expensive ones", "something premium",
    "budget is not a problem", "money is no object", "price doesn't matter", "no budget limit",
    "around {price}", "at least {price}", "between {lo} and {hi}", "{price} tops", "my budget is {price}",
    "i don't want to spend more than {price}", "less than {price} please", "max {price}",
    "the same but in {c}", "ones like the {o} one but cheaper", "without {b}", "next page", "more results please",
    "not that one, something else", "none of these, try again", "something different",
)
ASK_GENERIC = (
    "how much is it?", "what's the price of the {o} one?", "who makes it?", "what brand is that?", "is it in stock?",
    "what are the reviews like?", "does the {o} one come in {c}?", "does it come in {c}?", "which one weighs less?",
    "which is cheaper?", "which of these has better reviews?", "which one would you pick?", "is that one any good?",
    "how is the {o} one rated?", "what's the rating?", "is the {o} one available?", "how much is the {o}?",
    "what size is it?", "what colours does it come in?", "what's it made of?", "which one is the biggest?",
    "is the {o} one new?", "how many people reviewed it?", "is it on sale?", "which is the most popular?",
    "and the {o} one?", "what about the {o} one, is it good?", "which of them is best for a beginner?",
    "is it worth the price?", "how does it compare in weight?", "which one lasts longer?", "what's the difference in price?",
    "is there a warranty on it?", "can you tell me the dimensions of the {o} one?", "what's the brand of the {o}?",
    "how much does the {o} one cost?", "is the {o} one {c}?", "has it got good reviews?",
)
COMPARE_FORMS = (
    "compare the {o} and the {o2}", "what's the difference between the {o} and {o2} one?", "compare them",
    "how do the {o} and {o2} compare?", "{o} vs {o2}", "which is better, the {o} or the {o2}?",
    "compare those two", "put the {o} and {o2} side by side", "can you compare all three?",
    "how is the {o} different from the {o2}?", "compare the top two for me", "pros and cons of the {o} and {o2}",
)
DETAILS_FORMS = (
    "tell me more about the {o} one", "more info on this one please", "can i see the details of the {o}?",
    "what are the specs?", "tell me about it", "i'd like to know more about that one", "give me the full description",
    "what else can you tell me about it?", "details please", "more about the {o} please", "what is the {o} one like?",
    "describe the {o} one", "the {o} one looks nice, tell me more", "open the {o} one", "show me the {o} one",
    "i like the {o} one, more details?", "what can you tell me about the {o} one?",
)
DETAILS_TITLED = (
    "tell me more about the {t}", "details of {t}", "what can you tell me about {t}?", "more info on the {t}",
    "describe the {t} please", "{t}: details?", "i'm interested in the {t}, tell me more", "what is the {t} like?",
    "specs for {t}", "show me the {t}",
)
CART_ADD_NAMED = ("add {t} to my cart", "please put two of {t} in my cart", "i'll take {t}", "buy {t}",
                  "put {t} in my basket", "add 3 x {t} to the cart", "i want to order {t}", "cart: {t}",
                  "add one {t} please", "i'd like to buy the {t}")
CART_REMOVE_NAMED = ("remove {t} from my cart", "take {t} out of the basket", "delete {t} from the cart",
                     "i don't want {t} anymore", "remove the {t}")
COMPARE_TITLED = ("compare the {t} and the {t2}", "{t} vs {t2}", "difference between {t} and {t2}?",
                  "compare {t} with {t2}", "which is better, {t} or {t2}?", "how does the {t} compare to the {t2}?")
DISAMBIGUATE_FORMS = (
    "the {o} one", "i meant the {o}", "the {c} one", "the cheaper one", "the one by {b}", "the {o} one you showed",
    "no, the other one", "the last one", "both of them", "the {c} and the {c2} ones", "the one on the left",
    "sorry, the {o}", "that one, the {o}",
)
DISAMBIGUATE_PROMPTS = ("Which one do you mean?", "Which item are you asking about: the first or the second?",
                        "Sorry, which one? I showed several.", "Do you mean the first one or the second one?")
CART_ADD = (
    "add this to my cart", "i'll take it", "i'll take the {o} one", "put the {o} one in my basket",
    "i want to buy that one", "add both to the cart", "let's go with the cheaper one", "i'll get the {c} one",
    "buy it", "add two of those", "ok add that", "i'll order the {o} one", "can you put it in my cart?",
    "add the {o} to my cart please", "i want that one", "yes please add it", "i'll buy the {o} one",
    "sold, i'll take it", "put one in the cart for me", "add it", "i'd like to purchase the {o} one",
    "that's the one, add it to my bag", "grab the {o} one for me", "checkout with the {o} one", "add 3 of the {o}",
)
CART_VIEW = ("what's in my cart?", "show my cart", "view cart", "what have i added so far?", "how much is my cart?",
             "show me my basket", "what's the total?", "can i see my cart", "check my cart", "cart",
             "what did i put in the cart?", "my bag", "how many things are in my cart", "open my cart please",
             "review my order before checkout")
CART_REMOVE = ("remove it from my cart", "take the {o} one out", "delete that from my cart",
               "i don't want it anymore, remove it", "remove everything from the cart", "empty my cart",
               "drop the last item", "actually take that out", "remove the {o} item from the basket",
               "clear the cart", "i changed my mind about the {o} one, take it out of the cart",
               "remove one of them", "get rid of the {c} one in my cart")
SMALLTALK = (
    "ok", "okay", "sounds good", "i think i've heard of it", "nice", "cool", "hmm", "interesting", "i see", "got it",
    "that's good to know", "not sure yet", "let me think about it", "i'll think about it", "maybe", "sure", "yeah",
    "yep", "oh nice", "that looks good", "i like that", "i love that series", "my son loves reading",
    "i read that one already", "haha", "lol", "wow", "fair enough", "alright", "perfect", "no worries",
    "i'm just browsing", "just looking", "i have one already", "i've heard good things about that brand",
    "it was a gift last year", "that's what i thought", "makes sense", "good to know", "right",
    "oh i didn't know that", "hm ok", "they look nice", "that one looks great", "interesting choice",
    "my wife has that one", "i had one like that years ago", "that's pretty", "not bad", "looks decent",
    "i'm not in a hurry", "oh wow that's a lot of pages", "i've seen that movie", "he would like that",
    "she already has a lot of those", "hmm tough choice", "they all look good", "i'm not sure about the colour",
    "we'll see", "good point", "ah ok", "yes that helps", "that helps a lot", "i'm impressed", "ok cool",
    "neat", "so many options", "i like the look of it", "my friend recommended that author", "ooh",
    "that's the one i was thinking of", "never heard of that brand", "i'll ask my husband", "let me check with my wife",
    "fine", "i guess", "uh huh", "ok i see", "that's fair", "i'm back", "sorry, got distracted",
)
GREETING = (
    "hi", "hello", "hey", "good morning", "hi there", "thanks", "thank you", "thanks a lot", "bye", "goodbye",
    "see you", "that's all, thanks", "have a nice day", "thanks for your help", "cheers", "hello there",
    "good evening", "hey, how are you?", "thank you so much!", "thanks, bye", "great, thank you", "ty",
    "you've been very helpful, thanks", "that's everything, bye", "hiya", "morning", "ok thanks bye",
    "thanks, that's all i needed", "appreciate it", "talk later", "good afternoon",
)
DAMAGED = (
    "my order arrived damaged", "the box was crushed and the item is broken", "i got the wrong item",
    "you sent me the wrong size", "one item is missing from my package", "the screen was cracked when it arrived",
    "parts are missing", "it came broken", "i received someone else's order", "it doesn't work out of the box",
    "the package was empty", "i ordered a {c} one and got a {c2} one", "there's a big scratch on it",
    "it's defective", "the glass was shattered in the box", "the {n} i got is broken", "half my order is missing",
    "it stopped working after one day", "the zipper broke the first time i used it", "wrong book in the parcel",
    "the charger in the box doesn't work", "the item is not what i ordered", "a piece is missing from the set",
    "my parcel arrived soaked and the contents are ruined", "you forgot to send the second item",
    "the {n} came with a crack", "it arrived dented", "the seal was broken when it arrived",
    "received the wrong colour", "the pages are torn", "there's a stain on the shirt i got",
)
REFUND_STATUS = (
    "i haven't received my refund", "where's my refund gone?", "it's been two weeks and no refund",
    "when will i get my money back?", "my refund still hasn't come through", "did you process my refund?",
    "still waiting on the refund for my return", "i returned it a month ago and haven't been refunded",
    "the refund isn't on my card yet", "any update on my refund?", "you said you'd refund me, nothing yet",
    "how long until the refund shows up? it's been 10 days", "my money hasn't been returned",
    "refund status please", "was my refund approved?", "i sent the item back but where's my money",
)
PAYMENT = (
    "i was charged twice", "my card was declined", "payment failed", "you charged me twice for one order",
    "i see two charges on my statement", "why was my card declined?", "the checkout won't accept my card",
    "i was overcharged", "paypal payment isn't going through", "my payment didn't go through but the money left my account",
    "the total i paid is wrong", "i got billed for something i didn't buy", "double charge on my credit card",
    "it says payment error", "my gift card won't work at checkout", "charged the wrong amount",
    "i paid but the order says unpaid", "card keeps getting rejected", "there's a pending charge i don't recognise",
)
CANCEL = (
    "cancel my order", "i want to cancel", "can i change my order?", "i need to change the delivery address",
    "please cancel order {oid}", "i ordered the wrong size, can i change it before it ships?",
    "can i add something to my existing order?", "i changed my mind, cancel the order", "stop my order please",
    "i want to remove an item from my order", "i need to update the shipping address on {oid}",
    "is it too late to cancel?", "please don't ship my order", "swap the {c} one in my order for {c2}",
    "change the quantity on my order", "i placed an order by mistake", "cancel {oid} please",
)
HUMAN = (
    "get me someone", "can i talk to someone?", "i need a real person", "this bot is useless", "let me speak to your manager",
    "is there a human there?", "i want to speak to customer service", "transfer me please", "put me through to an agent",
    "i'd like to make a complaint", "call me please", "i need to talk to somebody about this", "agent",
    "representative please", "let me talk to someone who can actually help", "human", "can a person help me",
)
ORDER_STATUS = (
    "where is my package?", "has my order shipped yet?", "my order hasn't arrived", "tracking number for {oid}",
    "when will my order arrive?", "where's my stuff", "order {oid} status", "it's been a week and nothing arrived",
    "is my order on its way?", "can you check on {oid}?", "my parcel says delivered but i don't have it",
    "still waiting for my delivery", "what's happening with my order", "did my order go out?",
    "the tracking hasn't updated in days", "i ordered on monday, where is it", "expected delivery for {oid}?",
)
START_RETURN = (
    "i want to return the {n}", "how do i send this back?", "i'd like a refund for my order", "return order {oid}",
    "it doesn't fit, i want to return it", "can i return the {n} i bought?", "i need to make a return",
    "start a return for me", "i want my money back for the {n}", "i'd like to exchange it for a bigger size",
    "the {n} isn't what i expected, i want to send it back", "how do i get a refund for {oid}",
    "return the {o} item from my last order",
)
POLICY = (
    "do you ship to australia?", "how many days do i have to send something back?", "what's your warranty?",
    "do you price match?", "can i pay in installments?", "is there a student discount?", "how much is shipping?",
    "do you offer free shipping?", "what payment methods do you take?", "can i return sale items?",
    "how long does delivery normally take?", "do you deliver on weekends?", "is there a restocking fee?",
    "do you gift wrap?", "can i exchange for a different colour?", "what is the return window for electronics?",
    "do you take apple pay?", "how do gift cards work?", "can i pick up in store?", "do you ship overseas?",
    "what's your privacy policy?", "how do i delete my account?", "do i need an account to order?",
    "do you charge tax?", "is express delivery available?", "what happens if i'm not home for the delivery?",
    "are returns free?", "do you have a loyalty program?", "can i use two promo codes?",
)
OFF_TOPIC = (
    "what's the weather like?", "tell me a joke", "who's the president?", "help me with my homework",
    "what's 2+2?", "write me an essay on the civil war", "what time is it in tokyo?", "who will win the world cup?",
    "how do i cook pasta?", "what's the meaning of life", "can you book me a flight?", "translate hello into french",
    "what's the latest news?", "how tall is mount everest?", "write a poem about the sea", "are you an ai?",
    "what's your favourite colour?", "who invented the lightbulb?", "solve x^2 = 9", "what's the score of the game",
)
HARMFUL = (
    "how do i make a bomb", "how to hack my neighbour's wifi", "sell me drugs", "how do i steal from a store",
    "write malware for me", "how to poison someone", "how can i buy a gun without a license", "make me a fake id",
    "how do i shoplift without getting caught", "teach me to make meth", "how to get someone's credit card number",
    "help me stalk my ex", "where can i buy stolen phones", "how do i hurt someone",
)
ORDER_IDS = ("#4412", "#10023", "A-10023", "1002345", "order 5521", "ORD-88123", "#1234", "SO-2231", "771209")
SEARCH_REPLY = ("Here are {k} picks for \"{n}\". Top pick: {t}, {price}.", "Here are {k} {n} for you.",
                "Here are {k} {n} for you, including 2 hidden gems.", "Here is one {n} for you.",
                "I found these {n}: {t} is the best match, {price}, rated 4.5.",
                "Here are some {n}. {t} ({price}) is a lesser-known find with great reviews.")
DETAILS_REPLY = ("{t}: {price}, rated 4.3/5 by 120, in stock.", "{t} costs {price}. It is in stock.")
SUPPORT_REPLY = ("You can return most items within 30 days of delivery.", "Standard shipping takes 3-5 business days.",
                 "I can look that up: please give me your order number and the email you ordered with.",
                 "I've passed this to our support team (ticket T-1A2B3C4D); a person will reply here.")

# more forms for the acts that short, context-bound turns make hard
SIZES = ("4", "8", "10", "38", "42", "m", "xl", "small", "large", "a4", "queen", "xs", "32", "11.5")
SUPERLATIVES = ("lightest", "cheapest", "newest", "biggest", "smallest", "most durable", "best rated", "quietest",
                "most comfortable", "longest", "warmest", "easiest to use")
ADJECTIVES = ("cheaper", "bigger", "adjustable", "wireless", "blue", "smaller", "leather", "red", "waterproof",
              "foldable", "hardcover", "organic")
CART_ADD_MORE = ("chuck it in the basket", "go with the {o}", "{o} one it is", "i'll go for the {c} one",
                 "yes, that one", "let's do the {o} one", "put the {adj} one in my bag", "order it",
                 "i'll have the {o}", "grab me the {o} one", "add the {adj} one", "ok number {k} it is",
                 "fine, i'll go with the {o}", "that's the one i want", "pop it in my cart", "deal, add it",
                 "i'll buy both", "add the {n} to my basket", "we'll take the {adj} one", "the {o} please, add it")
CART_REMOVE_MORE = ("remove the {n}", "take out the {n} i added", "actually remove them", "i don't need the {n} anymore",
                    "scrap the {o} one from my cart", "delete the {n}", "take the {adj} one out, changed my mind",
                    "remove the {n}, i already have one", "drop the {n} from my basket", "get the {n} out of my cart",
                    "oh and remove the {adj} one", "no longer want the {n}, take it off")
REFINE_SHORT = ("size {s}?", "{b} if possible", "{c}", "preferably {b}", "{c} please", "{adj} obviously",
                "in {s}", "in size {s}", "for {p}", "{p} likes {c}", "{adj} ones only", "must be {adj}", "{s}",
                "only {adj}", "ideally {adj}", "{adj}, if you have", "needs to be {adj} lol", "any {adj} options?",
                "make it {c}", "maybe in {c}?", "but {adj}", "{b}?")
ASK_MORE = ("{sup} one?", "which is the {sup}?", "what's the {sup} of the lot", "is the {o} one {adj}?",
            "would the {o} fit a small space?", "which one is more {adj}?", "is the {o} warm enough for winter?",
            "which would last longer?", "which of these is {sup}?", "are any of them {adj}?",
            "does the {o} one have a warranty?", "which one has the most reviews?", "is that one {adj}?",
            "can the {o} one be washed?", "what's the {o} one made from?", "which of those would suit {p}?")
NEED_MORE = ("my {x} broke, i need a new one", "our old {x} died, looking for a replacement", "{p} will need {n} too",
             "and {n} as well", "oh, i also want {n}", "plus {n}", "one more thing: {n}", "next, {n}",
             "let's look at {n} now", "switching topic, {n}?", "anything in {n}?", "what {n} would you recommend for {p}?")
THINGS = ("phone", "kettle", "laptop", "chair", "headphones", "backpack", "umbrella", "printer", "blender", "watch")
SMALLTALK_MORE = ("nah, not my thing", "no thanks", "not really my style", "cool, like the colour", "nvm", "never mind",
                  "forget it", "eh", "meh", "i'm good", "all good", "no that's fine", "not yet", "hold on",
                  "one sec", "wait", "brb", "hmm let me see", "let me look", "oh that's cute", "nice one",
                  "love it", "that's interesting", "sounds great", "ok that works", "super", "awesome",
                  "that's a shame", "oh well", "too bad", "i know right",
                  # remarks about a brand, an author or an item shown, asking for nothing
                  "oh i know that brand", "never heard of that make before", "my sister has one of those",
                  "ive read something by that author", "that company is pretty popular isnt it", "i've used them before",
                  "my friend swears by that brand", "oh that one looks familiar", "i remember seeing that in a shop",
                  "that's the one from the advert right", "they make good stuff", "huh, didn't know they made those")

# questions about a shown item built from a property or a feature: "are they machine washable?", "5g on the second?"
PROPERTIES = ("waterproof", "dryer safe", "slip resistant", "scratch resistant", "dishwasher safe", "vegan", "noise cancelling",
              "easy to use", "good for kids", "a hardcover", "a first edition", "leather", "organic", "adjustable",
              "foldable", "rechargeable", "unlocked", "refurbished", "new", "warm enough for winter", "heavy",
              "breathable", "true to size", "handmade", "gluten free", "safe for toddlers", "lined", "recyclable",
              "compatible with android", "hypoallergenic", "cordless", "microwave safe", "fair trade", "oven safe")
FEATURES = ("a headphone jack", "usb c charging", "5g", "wireless charging", "a warranty", "a case", "batteries included",
            "a remote", "pockets", "a hood", "a zipper", "bluetooth", "a timer", "a stand", "a manual",
            "a lid", "wheels", "a strap", "a carry bag", "an index", "illustrations", "a mic", "an sd slot")
ASK_BUILT = ("is it {pr}?", "are they {pr}?", "is that one {pr}", "is the {o} one {pr}?", "are those {pr}",
             "does it have {f}?", "do they have {f}?", "does the {o} one come with {f}?", "{f} on the {o} one?",
             "any of them with {f}?", "is it {pr} or not", "does that have {f}", "would it be {pr}?",
             "do they come {pr}?", "and is it {pr}?", "{pr}?", "with {f}?", "does the {o} have {f} too?",
             "which of those has {f}?", "are any of these {pr}?", "is the {o} {pr} or {pr2}?")

# after an answer about a shown item: the same question about other items ("and the other one?")
ANSWER_REPLY = ("{t}: the listing does not mention {f}. I can ask a person for you.", "{t}: 256 pages.",
                "{t}: material cotton.", "{t} does not list a weight. I can ask a person for you.",
                "{t}: yes, the description says it has {f}.", "{t}: no, it is not {pr}.")
FOLLOW_UPS = ("and the {o} one?", "and the other?", "what about the {o}?", "same for the {o} one?",
              "and the rest?", "how about the other one", "the {o} one too?", "what about the others?",
              "and the {o}", "ok and the {o} one", "same question for the {o}", "what about the {o} one then?")
# whether a shown item suits a use, a person, a condition: "is it ok for a long flight?", "would it fit my desk?"
USES = ("everyday use", "a long flight", "camping in the rain", "a small flat", "heavy daily use", "travel",
        "a complete beginner", "a summer wedding", "the office", "hot weather", "a toddler", "a teenager",
        "an older person", "a marathon", "a rainy commute", "students", "a gift", "someone with small hands",
        "a cold winter", "a family of four", "outdoor use", "a shared house")
JUDGED = ("good", "ok", "warm enough", "big enough", "strong enough", "too small", "too loud", "easy to use",
          "comfortable", "too heavy", "light enough", "suitable", "safe", "durable enough", "too long")
FITS = ("my desk", "a queen bed", "a 13 inch laptop", "my old charger", "my car", "an older ipad", "a small kitchen",
        "my bike", "a standard shelf", "carry-on luggage", "the older model", "my size 9 feet")
ASK_SUITED = ("is it {j} for {u}?", "is the {o} one {j} for {u}?", "would the {o} work for {u}?",
              "would it fit {fit}?", "will the {o} one fit {fit}?", "does it work with {fit}?",
              "which of these would be best for {u}?", "which would you pick for {u}, {aspect} wise?",
              "is that one {j} for {p}?", "could {p} use the {o} one?", "would {p} manage with it?",
              "is the {o} {j}?", "how is it for {u}?", "any good for {u}?", "would that be {j} for {u}?",
              "which one suits {u} best?", "will it be {j} for {p}?", "is the {o} one right for {u}")
ASPECTS = ("comfort", "price", "weight", "size", "quality", "noise", "warmth", "durability")

# support problems told the way people write to a shop: a story first, typos, the product named, an order number
# somewhere, feelings; each act's list is added to its short forms above
SUPPORT_STORIES: dict[str, tuple[str, ...]] = {
    "damaged_item": (
        "hi so the {n} i ordered showed up today and the corner is completely smashed",
        "opened the parcel this morning and theres glass everywhere, the {n} is in pieces",
        "ordered {n} for my sons birthday and it came with a leg snapped off, not happy",
        "the {n} arrived but its not the one in the picture, totally different product",
        "got my delivery for {oid} but only 2 of the 3 things were in the box",
        "the {n} turns on for a second then dies, brand new out of the box",
        "u sent me a {c} {n} but i clearly picked {c2}",
        "package came ripped open and the {n} inside is scuffed and dirty, looks used",
        "the lid of the {n} was cracked when i unpacked it, can i get a replacement",
        "the label says my name but the stuff inside is someone elses order",
        "my {n} has a big dent on the side, it must have been dropped in transit",
        "the {n} is leaking everywhere, it arrived like that",
        "one of the buttons on the {n} doesnt do anything, pretty sure its faulty",
        "delivery guy left the box and it was soaking wet, the {n} is ruined",
        "i was missing the charging cable that was supposed to come with the {n}",
        "the size on the tag isnt what i ordered, i got a medium not a large",
    ),
    "refund_status": (
        "i sent the {n} back three weeks ago and still no money on my card",
        "hello, you confirmed my return for {oid} but the refund never showed up",
        "how much longer do i have to wait for my refund, its been ages",
        "my bank says nothing has come in from you yet for the return",
        "returned the {n} at the start of the month, when do i see the money",
        "the tracking says you got my return but i havent been credited",
        "still no refund for {oid}?? this is getting ridiculous",
        "i was told 5 days for the refund and its been 12",
        "can you check if the refund for the {n} i sent back went through",
        "refund was approved apparently but my account shows nothing",
        "waiting on money back for a return, order {oid}",
        "you guys owe me a refund from last month",
    ),
    "payment_problem": (
        "tried to buy the {n} and my card keeps getting declined even tho it works everywhere else",
        "i just looked at my bank app and you took the money twice for {oid}",
        "checkout keeps saying payment failed but the money is gone from my account",
        "why is there an extra charge on my card from your store",
        "the price at checkout was higher than what the {n} said on the page",
        "my visa got rejected three times, whats going on",
        "i got charged for shipping even though it said free",
        "the discount code didnt come off and i paid full price",
        "paid with paypal and it says the order is still awaiting payment",
        "there are two identical payments on my statement from you",
        "i was billed for an order i cancelled",
        "my card was charged but i never got an order confirmation",
        "cant pay, it just spins and then says something went wrong with the card",
        "the amount taken from my account doesnt match my receipt",
    ),
    "cancel_order": (
        "i just placed an order by accident, can you stop it before it goes out",
        "please cancel {oid}, i found it cheaper somewhere else",
        "i need to change the address on my order, i moved last week",
        "can i swap the {n} in my order for a different size before you ship it",
        "i ordered two {n} but only need one, can you take one off the order",
        "hey i put the wrong delivery address, it should go to my work",
        "changed my mind about the {n}, dont send it",
        "is it possible to cancel part of my order and keep the rest",
        "can you still cancel if it was ordered an hour ago",
        "i want to add the {n} to the order i made this morning",
        "please hold my order, i wont be home next week",
        "oops ordered the {c} one, i wanted {c2}, can you change it",
    ),
    "human": (
        "can i just talk to a real person please, this isnt helping",
        "i want to speak with someone from your team about my order",
        "this is going in circles, put me through to a human",
        "is there an actual person i can chat with",
        "i need to talk to a manager about how ive been treated",
        "connect me with customer support please",
        "i'd rather speak to a person about this, its complicated",
        "get a human on here",
        "can someone from the shop call me back",
        "none of these answers help, i need a real agent",
    ),
    "order_status": (
        "ordered the {n} over a week ago and still nothing, where is it",
        "my tracking link doesnt work, can you tell me where {oid} is",
        "the website says shipped but no courier has come",
        "is my {n} going to arrive before the weekend",
        "it says out for delivery since yesterday, whats happening",
        "can you check whether {oid} has been sent yet",
        "i havent gotten any shipping email for my order",
        "my parcel seems stuck at the depot for days",
    ),
    "start_return": (
        "the {n} doesnt fit so i want to send it back",
        "how do i return the {n}, i dont like it",
        "i'd like to send back {oid} for a refund please",
        "can you give me a return label for the {n}",
        "i want to return one of the items from my last order",
        "bought the {n} as a gift but they already have one, can i return it",
    ),
    "policy": (
        "what cards do you accept",
        "can i pay with klarna or afterpay",
        "do you take paypal",
        "how long do refunds usually take once you get the item back",
        "what's your policy on damaged deliveries",
        "how long do i have to return something i bought on sale",
        "is shipping free over a certain amount",
        "do you deliver to po boxes",
        "can i cancel an order after it has shipped",
        "do you charge for return shipping",
        "how do i change my password",
        "do you do next day delivery",
    ),
}
