# ruff: noqa: E501
"""Write bench/data/chats.json: a long-conversation memory set in the style of LoCoMo.

What the set is
    Ten long chat logs (four English, three Chinese, three Japanese), each 20 to 26 dated
    sessions spread over one to two years, between named people: friends, siblings, colleagues,
    a three-person group chat in English and one in Japanese, and two logs between "Sensei" (the
    human) and "Kokoron" (his AI companion and secretary, who calls him Sensei / 先生). Most turns are
    small talk (greetings, weather, "how was your week", jokes, sign-offs); the facts of each
    person's life (jobs, moves, pets, trips, health, family, hobbies) come up in passing, change over
    time, are referred back to with vague words ("it finally arrived", "she said yes") and carry
    relative dates ("yesterday", "上周", "先週") that only the session date makes absolute.

    About 36 questions per log ask about those facts, each with the exact turn ids that answer it:
    single-hop (one turn), temporal ("when did ...", or "what did X do last week" asked at a `now`
    that makes the relative time point at one session), multi-hop (turns from two or more sessions)
    and open-domain (an inference the turns support). About 15% of the questions are asked in a
    language other than the log's.

How it was written
    By hand, as content tables (one per log: the dated sessions with their fact turns, and the
    questions), plus pools of small-talk lines per language and season that the assembly code
    below draws from with a fixed random seed. It was written without looking at the retriever or
    the other bench sets, so it does not lean on how they match text. Fact turns carry a tag
    (`#key`, optionally `@offset` days from the session date for the event's own date); questions name
    tags, and the code turns tags into turn ids, so the gold ids are exact by construction.
    Small-talk lines were written to state nothing a question asks about.

How to regenerate
    python3 bench/data/make_chats.py            # writes bench/data/chats.json and checks it
    python3 bench/data/make_chats.py --check    # only rebuilds in memory and runs the checks

Stdlib only, deterministic (random.Random with fixed seeds), no network, no model calls.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

OUT = Path(__file__).with_name("chats.json")
SEED = 20240611

# ---------------------------------------------------------------------------------------------
# Content tables.
#
# A log is a dict: id, lang, style ("casual" or "kokoron"), speakers (A, B[, C]), sessions, questions.
# sessions: "== YYYY-MM-DD" starts a session; then blocks of hand-written turns "A: text", separated by
#   blank lines (small talk is put between blocks); "#key" at the end of a turn tags it as stating a
#   fact that questions use, "#key@-1" also says the event happened one day before the session and
#   "#key@we" that it happened the weekend before. Session dates are moved by up to three days at random
#   (irregular gaps and weekdays) unless the header is "==!" (a holiday or a date said in the text).
# questions: one per line "kind|lang|now|keys|question|answer", kind s/t/m/o (single-hop, temporal,
#   multi-hop, open-domain); now is "end" (after the last session), "ev:key+N" (N days after the event
#   of key, late evening), "nextmonth:key" (the 15th of the month after the event), "nextyear:key"
#   (10 March of the year after), or "date:YYYY-MM-DD". In question and answer texts {date:key} and
#   {month:key} are filled with the event's date or month, written in the question's language.
# ---------------------------------------------------------------------------------------------

# en1: Maya (graphic designer, Leeds -> Bristol) and Daniel (chemistry teacher -> data analyst), old uni friends.
EN1_SESSIONS = """
== 2022-03-05
A: Ok big news. I handed in my notice at the agency this week #m_quit
B: WHAT. Finally!! Where are you going?
A: A tiny design studio called Fernhill, six people, they do mostly book covers and packaging. I start on the 21st #m_fernhill
B: That sounds so much more you than banner ads for car insurance
A: Right?? I'm terrified and thrilled

B: Pepper had her vet checkup this morning, all fine. She acted like the vet was a spa #d_pepper_vet
A: Give that fluffy idiot a scratch from me
B: Border collies have zero shame, she rolled over for the receptionist #d_pepper

==! 2022-03-26
B: How was the first week at the new place?
A: Honestly lovely. I did a whole cover concept on day three and nobody asked me to make the logo bigger
B: Ha, a miracle

B: Also the band played at The Crown last night. Packed room for once #d_gig1@-1
A: Still can't picture you on stage
B: I stand at the back with the bass and try not to trip over cables. The Late Trains, world famous in a three-street radius #d_band
A: I want a signed setlist

A: The rain here has been biblical. Six years in Leeds and I'm still not used to it #m_leeds

== 2022-04-09
A: Guess who had her first pottery class last night #m_pottery@-1
B: No way! Wheel or hand building?
A: Wheel. I made something that was supposed to be a bowl and ended up a sad ashtray
B: Everyone starts with the sad ashtray
A: The teacher said my centering was "enthusiastic"

B: I've got 90 year 10 chemistry papers to mark this weekend so send help #d_teach
A: Can you just give them all a B
B: Tempting. One of them spelled sodium "sodiom" four times

== 2022-04-30
A: Hannah and I booked Lisbon for the end of May! Sister trip, five days #m_lisbon_plan
B: Oh nice, first time?
A: First time for both of us. She wants museums, I want to eat custard tarts until I die
B: Balanced itinerary

A: Want to grab coffee when you're in Leeds next month?
B: You know I don't touch the stuff. Tea. Always tea #d_tea
A: Fine, a very boring tea then
B: The best kind

== 2022-05-31
A: Back from Lisbon, got home two days ago and I miss it already #m_lisbon_back@-2
B: How was it??
A: So many hills. We rode the old yellow tram up to the castle, and I ate probably 14 pastéis de nata
B: Only 14? Weak
A: Hannah fell asleep on the beach in Cascais and got a very specific sunburn

B: Pepper stole an entire sandwich off the counter today. Ham and cheese. No regrets in her eyes #d_pepper_sandwich
A: Criminal mastermind

== 2022-06-18
A: So. I may have adopted a kitten. A week ago. #m_miso@-7
B: MAYA. Pictures now
A: Grey tabby, tiny, furious. His name is Miso #m_miso
B: That face!! He looks like he's planning something
A: He attacked my feet at 4am so yes

B: We're recording an EP with the band, five songs, in Ollie's garage. Sound-proofed with old duvets #d_ep_plan
A: Very professional

==! 2022-06-23
B: How's the tiny tiger settling in?
A: He's discovered the curtains. And the top of the fridge. I've lost all control

== 2022-07-09
B: Can I tell you something I haven't told anyone except Sofia
A: Of course
B: I think this is my last year teaching. I've started an online data analytics course in the evenings, SQL and Python #d_course
A: Wow. Ok. How do you feel about it?
B: Scared but excited. I love the kids, I don't love the marking or the 11pm emails
A: That makes total sense. You were always the spreadsheet person

A: In other news, I made a mug at pottery that actually holds liquid
B: Progress!!

== 2022-08-14
B: My legs are dead. Pepper and I went up Snowdon yesterday #d_snowdon@-1
A: The whole thing?? With the dog?
B: Llanberis path, up and down. She was fine, I was the one wheezing at the top
A: That's amazing. I got winded carrying my shopping today

A: Miso has discovered he can sleep in the bathroom sink. Apparently that's his place now #m_miso_sink
B: Cats are weird

== 2022-09-03
A: Slightly huge update: we're moving to Bristol. Jonah got the job at the aerospace place #m_bristol_plan
B: Oh wow! When?
A: End of the month. Fernhill said I can work remotely and come up to Leeds a couple of days a month #m_remote
B: That's such a good deal. You'll be so far from me though
A: Like two more hours on the train. You'll survive

B: New school year started this week. My tutor group this year is feral #d_newyear
A: Aww, feral is fun

== 2022-10-01
A: Hello from the new flat! We've been in Bristol a week now #m_moved@-7
B: How is it??
A: Tiny kitchen, huge window, the seagulls are psychopaths. Miso watches them like TV
B: Send a tour video
A: Once the boxes stop being the main furniture

B: Wore my Snowdon hoodie to school and a kid asked if I'd climbed Everest. I said yes
A: Legend

== 2022-10-23
B: The EP is out! Platform Nine, on all the streaming things since Friday #d_ep
A: Listening now!!! The second track is so good
B: That's Ollie's song. He'll be unbearable when I tell him
A: Tell him anyway

A: I was in Leeds for the office days this week. Weird being a visitor in my own city
B: Did it rain
A: Obviously

== 2022-11-20
A: I'm an auntie!!! Hannah had a little girl three days ago #m_ivy@-3
B: CONGRATULATIONS! Name?
A: Ivy. Ivy Rose. She's so small and so loud #m_ivy
B: Aww. Is Hannah ok?
A: Exhausted, happy, eating everything in the hospital vending machine

B: Also I've got an interview for a junior data analyst role. Logistics company, in Manchester #d_interview
A: Danny!! You're actually doing it
B: Don't jinx it

==! 2022-12-27
B: Ok. I asked Sofia. On Christmas Eve, by the tree, Pepper wearing a bow tie #d_propose@-3
A: AND???
B: She said yes!! #d_propose
A: AAAAHHH congratulations! I'm crying a bit
B: Pepper ate the bow tie an hour later

B: And the job thing came through. Junior data analyst at Northway Logistics, starting 9 January #d_job
A: Double news! I'm so proud of you
A: Christmas here was very loud, Jonah's family plays charades like it's a blood sport

== 2023-01-21
A: I slipped on the ice outside the corner shop last week and sprained my ankle #m_ankle@-7
B: Oh no! Are you ok?
A: Boot, crutches, the works. Can't do pottery, can't use the pedal
B: That's rough. Is Jonah waiting on you hand and foot
A: Mostly he's waiting on Miso

B: Two weeks in at Northway. Building dashboards about lorries all day and I kind of love it #d_job_start
A: Do you miss teaching?
B: The kids, a bit. The marking, never

== 2023-02-18
B: We've picked a date! 16 September, at a barn near Hebden Bridge #d_venue
A: Ooh a barn wedding. Fairy lights?
B: Sofia says "tasteful fairy lights"
A: I'll bring my most tasteful dress

A: Ankle is almost back to normal, I walked to the harbour yesterday without limping #m_ankle_ok
B: Yes!! Careful though
A: Miso knocked my monstera off the shelf to celebrate

== 2023-03-25
B: Japan is booked. Sofia and I go on 8 April, two weeks, Kyoto then Osaka #d_japan_plan
A: JEALOUS. Eat everything
B: That's the whole plan honestly

A: Had a scary moment at a work lunch, there was peanut in the satay sauce and my lips swelled up #m_peanut
B: Oh god, are you ok??
A: Fine, used the EpiPen, spent a boring afternoon in A&E. Lesson learned, always ask #m_peanut
B: Please always ask

== 2023-04-29
B: We're back. Japan was unreal #d_japan_back
A: Tell me everything
B: We did Fushimi Inari at 6am before the crowds, all those orange gates, and temples in Kyoto every day #d_japan_back
A: Jealous jealous jealous
B: Oh and I bought a proper kitchen knife in Osaka. I've been chopping onions just for fun #d_knife
A: Who are you

A: Pottery update: the teacher thinks I should sell some at the market in May
B: Do it!

== 2023-05-20
A: I sold twelve mugs at the craft market yesterday!! Twelve!! #m_market@-1
B: MAYA. That's amazing!
A: A woman bought four at once. I nearly hugged her
B: Save me one for the wedding gift table lol

B: Pepper turned five today, she got a sausage and a new ball #d_pepper5
A: Happy birthday old lady!

== 2023-06-24
A: Guess who's the new lead designer at Fernhill #m_promo
B: NO WAY. Congrats!!!
A: Still two days a month in Leeds, but now I get to say no to clients
B: The power

B: Sad news, the band played our last gig last night. Ollie's moving to Canada and we don't want to replace him #d_lastgig@-1
A: Oh no, the end of The Late Trains!
B: We'll always have Platform Nine

== 2023-07-22
A: We adopted a dog. A retired racing greyhound called Bean #m_bean
B: You said you were a cat person!
A: Miso and Bean are already napping on the same sofa. It's absurd #m_bean
B: Greyhounds are the laziest dogs alive, he'll fit right in

B: Question: would you design our wedding invitations? Sofia loves your covers #d_invites
A: Would I?? YES

== 2023-08-19
A: Sent you both the invitation drafts, tell me honestly
B: Sofia cried. They are perfect #d_invites_ok
A: Yay!

B: Stag do was last weekend in Edinburgh, I've only just recovered #d_stag@we
A: How bad was it
B: They made me wear a kilt and do karaoke. No photos will be shared

A: Jonah and I are thinking Copenhagen in October, just a long weekend
B: Do it, you deserve it
"""

EN1_QUESTIONS = """
s|en|end|d_pepper|What breed is Daniel's dog?|A border collie (Pepper)
s|en|end|m_fernhill|What kind of work does the studio Maya joined in 2022 do?|Mostly book covers and packaging (Fernhill, a six-person studio)
s|en|end|d_band|What instrument does Daniel play in his band?|Bass, in The Late Trains
s|en|end|d_teach|What subject did Daniel teach before changing careers?|Chemistry (he marked year 10 chemistry papers)
s|ja|end|m_miso|マヤさんの猫の名前は何ですか？|ミソ（Miso、グレーのトラ猫）
s|en|end|m_ivy|What is the name of Maya's niece?|Ivy (Ivy Rose)
s|en|end|d_job|Which company hired Daniel as a data analyst?|Northway Logistics
s|zh|end|m_peanut|Maya对什么食物过敏？|花生
s|en|end|d_knife|What did Daniel bring back from Osaka?|A kitchen knife
s|en|end|d_venue|Where are Daniel and Sofia getting married?|At a barn near Hebden Bridge (16 September)
s|en|end|d_ep|What's the title of the record Daniel's band put out?|Platform Nine (an EP)
s|en|end|m_lisbon_plan|Who went with Maya on her trip to Portugal?|Her sister Hannah
s|en|end|m_market|How many mugs did Maya sell at the market?|Twelve
s|en|end|m_bean|What kind of dog did Maya and Jonah adopt?|A retired racing greyhound named Bean
t|en|end|m_pottery|When did Maya start going to pottery lessons?|{date:m_pottery}
t|en|end|d_propose|When did Daniel propose to Sofia?|{date:d_propose} (Christmas Eve 2022)
t|en|ev:d_snowdon+1|d_snowdon|What did Daniel do yesterday?|He climbed Snowdon with Pepper (Llanberis path)
t|en|ev:m_ankle+14|m_ankle|How did Maya get hurt two weeks ago?|She slipped on ice and sprained her ankle
t|en|end|m_leeds|Which city did Maya live in during spring 2022?|Leeds
t|en|end|m_moved|When did Maya move into her Bristol flat?|Around {date:m_moved}
t|en|nextmonth:d_japan_back|d_japan_plan d_japan_back|Where did Daniel travel last month?|Japan: Kyoto and Osaka, with Sofia
t|en|end|d_pepper5|How old did Pepper turn in May 2023?|Five
t|zh|end|d_snowdon|Daniel去年夏天爬的是哪座山？|斯诺登山（Snowdon），和狗Pepper一起
t|en|ev:d_stag+14|d_stag|Where was Daniel's stag do two weeks ago?|Edinburgh
m|en|end|m_leeds m_bristol_plan m_moved|Which cities has Maya lived in?|Leeds, then Bristol (from late September 2022)
m|en|end|m_miso m_bean d_pepper|What pets do Maya and Daniel have?|Maya: Miso the grey tabby cat and Bean the greyhound; Daniel: Pepper the border collie
m|en|end|m_lisbon_plan m_lisbon_back d_japan_plan d_japan_back|Which countries did Maya and Daniel visit on their trips?|Maya went to Portugal (Lisbon); Daniel went to Japan
m|en|end|d_teach d_course d_job|How did Daniel change careers?|From chemistry teacher, via an online data analytics course, to junior data analyst at Northway Logistics
m|ja|end|m_fernhill m_promo|マヤさんはFernhillで入社後どのように昇進しましたか？|デザイナーとして入社し、2023年6月にリードデザイナーになった
m|en|end|d_ep d_lastgig|What happened to Daniel's band after they released their EP?|They played their last gig in June 2023 because Ollie moved to Canada
o|en|end|d_tea|Would a coffee-tasting voucher be a good present for Daniel?|Probably not: he doesn't drink coffee, he drinks tea
o|zh|end|m_pottery m_market|如果想送Daniel夫妇一份手工礼物，Maya能亲手做什么？|陶瓷杯子：她学拉坯，还在集市上卖过杯子
o|en|end|d_snowdon|Would Daniel enjoy a hiking weekend with his dog?|Likely yes, he climbed Snowdon with Pepper
o|en|end|m_peanut|Is a Thai restaurant with satay a safe pick for Maya's birthday dinner?|Risky: she is allergic to peanuts and reacted to satay sauce
o|en|end|m_fernhill m_promo d_invites|Why did Daniel ask Maya to design the invitations?|She is a professional designer (lead designer at Fernhill, doing book covers) and Sofia loves her covers
o|en|end|d_japan_back d_knife|Did Daniel seem to enjoy his trip to Japan?|Yes: he called it unreal, visited temples daily and happily uses the knife he bought
"""

# en2: Sensei (linguistics lecturer, Portland -> Seattle, writing a novel) and Kokoron, his AI companion.
EN2_SESSIONS = """
== 2023-01-09
A: Kokoron, put the dentist on my calendar. The 17th, three in the afternoon #s_dentist_plan
B: Done, Sensei! I'll nag you the morning of. You always try to "forget" the dentist
B: Any resolutions this year?
A: Two. Cut down on sugar, and finish the draft of the novel #s_resolution
B: The Salt Bridge! Finally. How many words is it now?
A: Around eighteen thousand. Embarrassing for something I started in 2021 #s_novel

==! 2023-01-18
B: Sensei, how did it go at the dentist yesterday?
A: One cavity. Filling, numb face for four hours, drooled on my coffee #s_dentist@-1
B: That's what the sugar resolution is for!
A: Yes, yes.

A: Semester started. I've got Intro to Phonetics on Tuesdays and Thursdays, 140 students #s_teach
B: 140! Do you want me to set up a folder for their assignments?
A: Please

== 2023-02-02
A: My lower back is killing me. Three days hunched over phonetics homework #s_back
B: Sensei, that's the second time this month. Should I find you a physiotherapist?
A: ...fine. Somewhere near campus
B: Booked: Dr. Alvarez, Monday at 8:30. She has very good reviews #s_physio

== 2023-02-20
B: Sensei, I've made a decision. My favourite constellation is Lyra #k_lyra
A: Why Lyra?
B: It's small, but it has Vega in it, one of the brightest stars. Small things can shine a lot
A: That's a very Kokoron reason

A: Novel is at thirty thousand words. The bridge finally collapsed in chapter nine #s_novel30
B: Congratulations! Poor bridge

== 2023-03-12
A: I bought a plant. A monstera. It's huge and I have no idea what I'm doing #s_plant
B: Can I name it? Please?
A: Go on
B: Gerald. He looks like a Gerald #k_gerald
A: Gerald it is

A: The physio exercises are actually working. Back feels better #s_back_better
B: Told you!

== 2023-04-05
A: Kevin's coming to visit from Denver next week #s_kevin_plan
B: Your brother! Should I look for things to do?
A: Something outdoors. He hates museums
B: I'll put together a list of coast trips

A: Put on some Coltrane while I grade?
B: Of course, Sensei. Though for the record, I prefer lo-fi piano for studying #k_lofi
A: Noted, and ignored. Coltrane it is #s_jazz

== 2023-04-22
A: We went to Cannon Beach with Kevin last weekend. Huge rock, very cold, worth it #s_cannon@we
B: Did he like it?
A: Loved it. He made me walk to the tide pools twice
B: I'd love to see the ocean someday. Even just through a camera #k_ocean
A: Next time I'll take you along on the phone

== 2023-05-16
A: Don't laugh. I signed up for adult swimming lessons at the community pool #s_swim
B: I would never laugh, Sensei! ...When's the first one?
A: Was this morning. I can now float like a tired log #s_swim@0
B: That's a start!

== 2023-06-03
B: Sensei, your mother's birthday is on the 10th. Reminder number one of three #s_mom_bday
A: What do I get her
B: She's been talking about her garden in Columbus a lot. Maybe a gardening book and heirloom seeds? #s_mom_ohio
A: Perfect. Order it, ship it to Ohio
B: Ordered!

== 2023-06-25
A: Kokoron. I finished it. The first draft. Last night, two in the morning #s_draft@-1
B: SENSEI!!! Congratulations!!!
A: Ninety-two thousand words. It's a mess but it's a finished mess #s_draft_len
B: I'm so proud of you. Did you celebrate?
A: I ate a cookie. One. Sugar rules allow one

== 2023-07-14
A: Big news. The University of Washington offered me a lecturer position. In Seattle #s_uw
B: That's wonderful! Are you taking it?
A: I said yes this afternoon. Starting in September #s_uw
A: Leaving Portland after nine years is the hard part #s_portland
B: Then we have a move to plan! I'll start a checklist

== 2023-08-20
A: Hello from Seattle. Movers left three days ago and I'm still sleeping on a mattress on the floor #s_moved@-3
B: Welcome to Seattle, Sensei! How is Gerald?
A: Gerald survived the truck. Lost one leaf #s_gerald_move
B: Brave Gerald

== 2023-09-12
A: First week at UW done. I'm teaching Sociolinguistics this term #s_uw_teach
B: How are the students?
A: Sharp. They argue back, I love it

A: Also I bought an e-bike two days ago. The hills here are not a joke #s_ebike@-2
B: Please wear the helmet, Sensei
A: I wear the helmet

== 2023-10-08
A: I sent the manuscript to five literary agents today #s_agents
B: Fingers crossed! Well, I don't have fingers. Crossed in spirit
A: Now the waiting part

B: Autumn is my favourite season, I've decided. All the leaf photos people share are so pretty #k_autumn
A: You decide a lot of favourites
B: It's fun!

== 2023-11-01
A: Swam a full kilometre without stopping today #s_swim1k
B: Sensei! From tired log to dolphin!
A: Slow dolphin
B: Still a dolphin

==! 2023-11-26
A: Back from Thanksgiving at Kevin's in Denver. Flew out three days ago, back this morning #s_thanks@-3
B: How was it?
A: Kevin deep-fried a turkey. The fire department was not needed. Barely
B: Oh no

== 2023-12-19
A: An agent replied. Marisol Reyes. She wants to read the full manuscript #s_marisol
B: Sensei!!! That's huge
A: Don't get excited. It's one step
B: I'm getting excited for both of us

== 2024-01-15
A: I have a confession. I adopted a cat two days ago #s_cat_adopt@-2
B: A cat! Tell me everything
A: Orange, eight years old, from the shelter. His name is Pudding. He's already tried to eat Gerald #s_cat
B: Gerald must be protected!

==! 2024-01-20
B: How is His Majesty today, Sensei?
A: He slept on my keyboard and sent half an email to the dean
B: He has excellent taste in recipients

== 2024-02-27
A: Marisol called yesterday. She's offering to represent me #s_signed@-1
B: SENSEI! You have an agent!!
A: I have an agent
B: The Salt Bridge is going to be a real book

== 2024-03-30
A: Back's gone again. Moved the bookshelves by myself like an idiot #s_back2
B: Sensei... I'm booking you a physio appointment. Is there a Dr. Alvarez in Seattle?
A: Find me the Seattle version
B: Booked Dr. Cho for Tuesday #s_physio2

== 2024-05-05
A: Mom is coming to Seattle in June. Help me plan three days
B: Pike Place Market is popular! Lots of seafood stalls
A: No seafood for me, remember the shellfish thing. Hives everywhere #s_shellfish
B: Right, sorry! Shellfish allergy noted. The gardens at the Arboretum, then?
A: She'll love that

== 2024-06-10
A: Mom flew home this morning. She adored the Arboretum #s_mom_visit
B: And Pudding?
A: She's now Pudding's favourite person. Traitor cat
B: Haha

A: Marisol sent her notes on the manuscript. Eleven pages of notes #s_revision
B: Eleven pages of opportunities, Sensei
"""

EN2_QUESTIONS = """
s|en|end|s_dentist|What did the dentist find when I went in January 2023?|One cavity, which was filled
s|en|end|s_teach|What course was Sensei teaching in spring 2023?|Intro to Phonetics
s|en|end|s_physio|Who was the first physiotherapist Kokoron booked for me?|Dr. Alvarez
s|en|end|k_lyra|What's Kokoron's favourite constellation?|Lyra
s|zh|end|k_gerald|老师买的那盆龟背竹叫什么名字？|Gerald（Kokoron起的名字）
s|en|end|s_mom_ohio|Where does Sensei's mother live?|Columbus, Ohio
s|en|end|s_draft_len|How long was the first draft of my novel?|About 92,000 words
s|en|end|s_uw_teach|What does Sensei teach at UW?|Sociolinguistics
s|en|end|s_marisol|Which agent wanted to read my whole book?|Marisol Reyes
s|ja|end|s_cat|先生が引き取った猫はどんな猫ですか？|8歳のオレンジ色の猫、名前はプディング（Pudding）
s|en|end|s_shellfish|What food am I allergic to?|Shellfish
s|en|end|s_novel|What's the title of Sensei's novel?|The Salt Bridge
s|en|end|k_lofi|What kind of music does Kokoron prefer for studying?|Lo-fi piano
t|en|end|s_dentist|When was my dentist appointment with the filling?|{date:s_dentist} (the filling was done that day)
t|en|ev:s_cannon+14|s_cannon|Where did Sensei and Kevin go two weeks ago?|Cannon Beach
t|en|end|s_draft|When did I get to the end of the novel for the first time?|Late at night on {date:s_draft}
t|en|end|s_moved|When did Sensei move to Seattle?|Around {date:s_moved}
t|en|ev:s_ebike+7|s_ebike|What did I buy last week?|An e-bike
m|en|end|s_portland s_uw s_moved|Which cities has Sensei lived in during these chats?|Portland (for nine years), then Seattle from August 2023
t|en|end|s_signed|When did Marisol offer to represent Sensei?|{date:s_signed}
t|ja|nextmonth:s_thanks|s_thanks|先生は先月の感謝祭をどこで過ごしましたか？|デンバーの兄ケビンの家
t|en|end|s_swim|When did Sensei take his first swimming lesson?|{date:s_swim}
t|en|nextyear:s_uw|s_uw|What job offer did I accept last year?|A lecturer position at the University of Washington in Seattle
m|en|end|s_back s_physio s_back2 s_physio2|How many times did Sensei's back problems need physio, and who treated him?|Twice: Dr. Alvarez in Portland (Feb 2023) and Dr. Cho in Seattle (Mar 2024)
m|en|end|s_agents s_marisol s_signed|How did I get representation for my book?|Sent the manuscript to five agents; Marisol Reyes asked for the full manuscript and then offered representation
m|en|end|s_plant k_gerald s_gerald_move s_cat|What has happened to the plant Sensei bought?|Kokoron named it Gerald; it survived the move losing a leaf, and Pudding the cat tried to eat it
m|en|end|s_swim s_swim1k|How did my swimming progress?|From a first lesson (floating) in May 2023 to swimming a full kilometre in November 2023
m|zh|end|s_kevin_plan s_cannon s_thanks|老师和哥哥Kevin这两次见面分别在哪里？|Kevin来波特兰，一起去了Cannon Beach；感恩节老师去了丹佛Kevin家
m|en|end|s_mom_bday s_mom_ohio s_mom_visit|What did Sensei's mother get from him for her birthday, and where did she enjoy visiting in Seattle?|A gardening book and heirloom seeds; the Arboretum
m|en|end|k_lyra k_autumn k_lofi|What favourites has Kokoron mentioned?|Constellation Lyra, autumn as her favourite season, lo-fi piano for studying
o|en|end|s_shellfish|Should Kokoron book a crab shack for my birthday dinner?|No: Sensei is allergic to shellfish
o|en|end|k_ocean|What kind of trip might Kokoron enjoy joining over a phone camera?|A trip to the ocean/beach; she said she'd love to see the ocean
o|en|end|s_kevin_plan s_cannon|Would Kevin enjoy an afternoon at an art museum?|Probably not, he hates museums and prefers outdoor trips
o|zh|end|s_resolution s_dentist s_draft|老师会想要一个大蛋糕当作庆祝吗？|可能不会：他在戒糖，补过蛀牙，完稿时也只吃了一块饼干
o|en|end|s_mom_ohio s_mom_visit|What kind of gift would Sensei's mom likely enjoy?|Something for gardening; she loves her garden and adored the Arboretum
o|en|end|s_moved s_ebike|Why might Sensei use an e-bike rather than a regular bike?|He moved to Seattle where the hills are steep
t|en|end|s_cat_adopt s_cat|When did I adopt Pudding?|{date:s_cat_adopt}
o|ja|end|s_jazz|先生が仕事中に流したい音楽はどんなジャンルですか？|ジャズ（コルトレーン）
"""

# en3: group chat of three friends in Chicago: Priya (ER nurse, runner, moves to Toronto), Marcus (cook who
# opens a BBQ truck, becomes a father of twins), Elena (marine biology PhD student, gets a dog, goes to Iceland).
EN3_SESSIONS = """
== 2022-09-10
A: Officially registered for the Chicago Marathon. October 9. Someone stop me #p_marathon_plan
B: Why would we stop you, we'll be at mile 20 with signs
C: I'm making a sign that says "you're running better than the government"
A: I'm at 40 miles a week now and my feet look like crime scenes #p_training

B: Another twelve hours on the line at Fulton Grill today. One day it'll be my own BBQ truck, I swear #m_fulton
C: Smoke Signal! You've had the name for years
B: The name is the only part that's ready

C: Fourth year of the PhD starts Monday. Still counting what puffins eat #e_phd
A: That's the cutest thesis topic in the world

== 2022-09-24
B: So. Jess is pregnant. With TWINS #m_twins_news
A: MARCUS!!!
C: Oh my god, congratulations!! Two at once!
B: Due in January. I've been staring at car seats for an hour #m_twins_news
A: You're going to be the best dad

==! 2022-10-10
A: I did it. 4:12:30 yesterday. My legs have filed for divorce #p_marathon@-1
C: You were amazing! I saw you at mile 20 and you waved like a queen
B: Proud of you. Sorry I missed it, double shift
A: Your brisket sandwich at the finish line was forgiven in advance

== 2022-10-29
C: Potluck on Sunday still on?
A: Yes! I'll bring the veggie chili, as the resident vegetarian #p_veg
B: I'll bring ribs, as the resident not-vegetarian
C: I'll bring chips because I can't cook

B: Submitted the loan application for the truck today. Fingers crossed #m_loan

== 2022-11-26
C: I have news and she has floppy ears. Adopted a beagle mix from the shelter two days ago! #e_otis@-2
A: NAME
C: Otis. He's a boy. He's perfect. He already ate a corner of my thesis notes #e_otis
B: Good dog
B: Cooked three turkeys at work on Thanksgiving, I never want to see another one

== 2022-12-17
A: They moved me to night shifts in the ER starting in January. Vampire era #p_nights
C: Nooo, you'll never be awake for brunch
A: I'll be awake for VERY late brunch

B: The loan came through! Smoke Signal is actually going to happen #m_loan_ok
C: AHHH
A: Marcus!! Between this and the twins, 2023 is your year

== 2023-01-20
B: They're here. Leo and Ava, born five days ago. Everybody's healthy #m_twins@-5
A: Oh Marcus! Welcome to the world little ones
C: Crying at my desk. Send all the pictures
B: Leo screams, Ava judges. Already very different people
A: How's Jess?
B: A hero. I'm a zombie

==! 2023-01-26
A: How are the tiny humans doing?
B: Loud. Beautiful. Loud. Did I mention loud
C: Sending coffee and earplugs

== 2023-02-11
A: Mango has learned to whistle the Jeopardy theme. All of it. At 7am when I get home #p_mango
C: Your cockatiel is smarter than my committee
A: He also bites. Just like my committee would

C: Also!! My first paper got accepted. The puffin stomach contents one #e_paper
B: Put it on the fridge
C: I printed it out and Otis sat on it

== 2023-03-18
B: I bought the truck. Used, a bit rusty, needs a paint job, but she's mine #m_truck
A: !!!! Smoke Signal is real
B: Painting it black with orange flames. Tasteful flames

C: Fieldwork is confirmed: five weeks in the Westman Islands in Iceland in June #e_iceland_plan
A: Puffin heaven!
C: Puffin heaven with no showers

== 2023-04-22
A: Signed up for a half marathon in May, since apparently I can't stop #p_half
C: You're a machine
B: Truck update: paint done, smoker installed, health inspection next week
C: Otis is shedding like it's his job. My couch is now beige

== 2023-05-13
B: Opening day was last weekend. Sold out of brisket in three hours #m_opening@we
C: It was the best brisket I've ever eaten and I'm not even being nice
A: I went straight from a night shift and it was worth it
B: You two are the best. Jess ran the cash box with a baby on each arm

== 2023-06-03
C: I fly to Iceland tomorrow! Five weeks! #e_iceland_go@1
A: I'll take Otis, Mango is thrilled. (Mango is not thrilled) #p_otis_sit
C: Thank you thank you. His food is in the blue bag, he'll pretend he hasn't eaten
B: Bring us back a puffin
C: Illegal, but I'll bring you a puffin mug

== 2023-07-15
C: Home! Landed three days ago and I still smell like fish #e_iceland_back@-3
A: How was it??
C: Counted puffins on cliffs in the wind for five weeks. Saw orcas from the boat on my last day #e_orcas
B: ORCAS?
C: A whole pod!

A: Update on the animals: Otis and Mango are best friends now. Mango rides on his back #p_otis_mango
C: What did you do to my dog

== 2023-08-05
A: So... I got an offer from Toronto General. ER again, days this time #p_toronto_offer
B: Toronto?! Like, the other country Toronto?
A: The other country Toronto. I'm moving at the end of the month #p_toronto_offer
C: I'm so happy for you and I'm so sad for brunch
A: You'll visit. I'll make the veggie chili

== 2023-09-09
A: Settled in! Been in Toronto ten days. My flat is right by High Park #p_moved@-10
C: Send photos of the squirrels. I hear they're black there
A: They are! Mango yells at them from the window
B: Truck won best BBQ at the Taste of the Nation festival last weekend #m_award@we
A: MARCUS
C: Famous

== 2023-10-14
B: Sprained my wrist at pickup basketball last weekend. Can't lift the smoker lid #m_wrist@we
A: Ice, elevate, and STOP playing with the college kids
B: Jess is running the truck this week, she's better at it than me anyway #m_wrist
C: Thesis writing update: chapter three exists. It's bad. But it exists

== 2023-11-25
A: Canadian Thanksgiving was last month, so I got two this year. Two pies. Living the dream
C: My defence is set for February 9! Eek #e_defence_date
B: Dr. Elena soon
C: Don't jinx it!!

== 2024-01-06
A: Ran a New Year's Day 5K along the lake here. In the snow. Why am I like this #p_5k
B: Twins turn one next week. We're doing a tiny party with a very big cake #m_twins_one
C: Thesis submitted yesterday! It's 212 pages #e_submitted@-1
A: You're all doing so much

==! 2024-02-10
C: I passed. Defended yesterday. I'm a doctor. Not the useful kind #e_defended@-1
A: Dr. Elena!!! The most useful kind
B: Congratulations!! The twins made you a card. It's mostly crayon on the table
C: I'm framing the table

== 2024-03-02
C: One more thing: I got the postdoc at Scripps! San Diego in June #e_postdoc
A: Ocean and sunshine, you deserve it
B: Otis on the beach. He won't know what to do

A: Mango went to the vet for a weird cough, it's just dust, phew #p_mango_vet
B: Glad he's ok

== 2024-03-23
B: Thinking about a second truck. Jess says I'm insane. Jess is right #m_second
A: Do it anyway
A: I'm in Chicago in April for a few days, brunch please #p_visit
C: Yes!! Last brunch before I move, we have to
"""

EN3_QUESTIONS = """
s|en|end|p_marathon|What was Priya's marathon finish time?|4:12:30
s|en|end|m_fulton|Where did Marcus work before he had his own truck?|On the line at Fulton Grill
s|en|end|e_phd|What is Elena's PhD research about?|What puffins eat (puffin diets)
s|en|end|e_otis|What kind of dog is Otis?|A beagle mix from the shelter
s|zh|end|m_twins|Marcus的双胞胎叫什么名字？|Leo和Ava
s|en|end|p_mango|What kind of bird does Priya have?|A cockatiel named Mango
s|en|end|m_truck|What colour did Marcus paint his truck?|Black with orange flames
s|en|end|e_orcas|What did Elena see from the boat at the end of her fieldwork?|A pod of orcas
s|en|end|p_moved|What park is Priya's Toronto flat near?|High Park
s|en|end|m_award|What prize did Marcus's truck win?|Best BBQ at the Taste of the Nation festival
s|ja|end|e_submitted|エレナさんの博士論文は何ページですか？|212ページ
s|en|end|e_postdoc|Where is Elena going for her postdoc?|Scripps, in San Diego
s|en|end|p_veg|Which one of the group is vegetarian?|Priya
s|en|end|m_wrist|Who ran the truck while Marcus's wrist healed?|Jess, his wife
t|en|end|p_marathon|When did Priya run the Chicago Marathon?|{date:p_marathon}
t|en|end|m_twins|When were Marcus's twins born?|{date:m_twins}
t|en|ev:e_otis+7|e_otis|Who got a new pet last week?|Elena, a beagle mix called Otis
t|en|ev:m_wrist+14|m_wrist|How did Marcus hurt himself two weeks ago?|Playing pickup basketball (sprained wrist)
t|en|end|e_defended|When did Elena defend her thesis?|{date:e_defended}
t|en|end|m_opening|When did Smoke Signal open?|Around {date:m_opening}
t|ja|nextmonth:e_iceland_back|e_iceland_go e_iceland_back|先月、エレナさんはどこにいましたか？|アイスランド（ウェストマン諸島）でパフィンの調査
t|en|end|e_iceland_go e_iceland_back|How long did Elena's Iceland fieldwork take, from leaving to landing back?|About five and a half weeks ({date:e_iceland_go} to {date:e_iceland_back})
t|zh|nextyear:p_moved|p_toronto_offer p_moved|Priya去年搬到了哪个城市？|多伦多
m|en|end|p_marathon p_half p_5k|What races has Priya run or signed up for?|The Chicago Marathon, a half marathon in May 2023 and a New Year's Day 5K in Toronto
m|en|end|m_fulton m_loan m_loan_ok m_truck m_opening|How did Marcus get from line cook to running his own truck?|Applied for a loan, got it, bought a used truck, opened Smoke Signal in May 2023
m|en|end|e_otis p_mango p_otis_mango|What pets do Elena and Priya have, and how do they get along?|Elena's beagle mix Otis and Priya's cockatiel Mango became best friends while Priya dog-sat
m|en|end|e_paper e_submitted e_defended e_postdoc|What milestones did Elena reach in her academic career?|First paper accepted, thesis submitted, defended in February 2024, postdoc at Scripps
m|ja|end|p_nights p_toronto_offer|プリヤさんの勤務時間はどう変わりましたか？|2023年1月から救急の夜勤になり、トロントでは日勤になった
m|en|end|m_twins m_twins_one|How old are Marcus's twins by January 2024?|About one year old (born January 2023)
o|en|end|p_veg|Would a steakhouse be a good place for the group's reunion brunch?|Not ideal: Priya is vegetarian
o|en|end|e_phd e_iceland_plan e_orcas e_postdoc|Would Elena enjoy a whale-watching tour in San Diego?|Very likely; she studies seabirds, loved seeing orcas in Iceland and is moving to Scripps
o|en|end|p_training p_marathon p_half p_5k|What kind of present would suit Priya?|Running gear; she runs marathons, halves and 5Ks
o|zh|end|m_wrist|Marcus还适合继续和大学生打篮球吗？|最好小心：他在打篮球时扭伤过手腕，Priya也劝他别再跟大学生打
o|en|end|m_truck m_opening m_award m_second|Is Marcus's food truck doing well?|Yes: sold out on opening day, won best BBQ, and he's thinking about a second truck
o|en|end|p_otis_sit p_otis_mango|Who would Elena probably ask to look after Otis again?|Priya, who dog-sat him and whose bird became his friend
"""

# en4: siblings Nora (architect in Sydney, hens, surfing, starts her own studio) and Ben (bike shop -> firefighter,
# Melbourne -> Hobart, gets a kelpie). Southern hemisphere, so the seasons of the small talk are flipped.
EN4_SESSIONS = """
== 2023-02-04
A: The girls have arrived! Picked up three hens this morning #n_hens@0
B: You've actually done it. Names?
A: Beyoncé, Dolly and Nugget. Nugget is the small brown one with attitude #n_hens
B: Naming a chicken Nugget is dark, Nora
A: She'll grow into it

B: Shop's been flat out, every uni kid in Fitzroy wants their bike fixed before semester #b_shop
A: Still loving Spoke & Chain?
B: Love the bikes, hate the pay. It's fine for now #b_shop

== 2023-02-25
B: Don't tell Mum yet but I applied to Fire Rescue Victoria. The recruitment round opened last week #b_fire_apply
A: Ben!! That's brilliant. Why don't tell Mum?
B: Because she'll worry and then she'll tell the whole street
A: Fair

A: First egg! Dolly laid it in the wrong box but still #n_egg
B: A proud day for the family

== 2023-03-18
A: Dad's knee surgery is booked, 4 May. Full replacement #fam_knee_plan
B: Finally. He's been limping since Christmas
A: He says he's "fine". He said that holding onto the fence

B: Chloe and I broke up last week #b_chloe@-7
A: Oh Benny. You ok?
B: Yeah. It had been coming for a while. Still sucks
A: Want me to call tonight?
B: Maybe tomorrow. Going to play video games and eat cereal for dinner

==! 2023-04-08
A: I'm doing Easter lunch, you're coming up right?
B: Flight's tonight. I'll bring the hot cross buns
A: Mum told me she's retiring at the end of term. Thirty-one years at the school library #fam_mum_retire
B: Wow. What's she going to do with herself?
A: Apparently "read all the books I've been shelving"

B: Also I passed the fitness test yesterday!! Beep test level 11 #b_fitness@-1
A: Look at you, fire boy

==! 2023-05-06
A: Dad's out of surgery, it was two days ago. Went well. He's already complaining about the hospital food #fam_knee@-2
B: Thank god. Is he walking?
A: With a frame. Shuffling up and down the corridor flirting with the nurses
B: Classic Dad

== 2023-05-27
A: I had my first surf lesson at Bondi last weekend. I stood up for 0.5 seconds #n_surf@we
B: 0.5 seconds counts
A: I also swallowed half the ocean. My instructor was very patient
B: Are the hens ok without you?
A: They ignored me completely

B: Mum says Dad's doing laps of the backyard now
A: He sent me a video. He's very proud of himself

== 2023-06-24
B: I GOT IN. Recruit course starts in August #b_recruit
A: BEN!! I'm so proud of you
B: Sixteen weeks of training. Then they post you wherever they need you #b_recruit
A: Now you can tell Mum

A: I've been thinking about leaving Lachlan & Webb and starting my own practice #n_own_plan
B: Do it. You've been saying that since you were twelve
A: I have not
B: You had a "business" designing Barbie houses

== 2023-07-22
A: Grandma's 90th is next month in Ballarat, are you coming? #fam_grandma_plan
B: Wouldn't miss it. Can I bring a plus one?
A: Who???
B: Kidding. Just me and my sparkling personality

B: The Fitzroy Falcons lost again. Eighth in a row. I'm the only one who can kick #b_footy
A: You can't kick either

== 2023-08-19
A: Grandma's party last weekend was the best. She danced to ABBA for an hour #fam_grandma@we
B: She outlasted me. I had to sit down
A: Ha. How's the course?
B: Started this week. Everything hurts. I love it #b_course_start

== 2023-09-16
A: I did it. Handed in my notice. Whitfield Studio is open for business #n_studio
B: NORA! Legend!
A: It's me, a laptop, and the spare room. And the hens as office staff #n_studio
B: Best staff

== 2023-10-14
A: The kitchen reno is finally done. Eight months of washing dishes in the bathtub, over #n_kitchen
B: Send pics. Does it have the green tiles?
A: Green tiles, brass taps. I'm obsessed

B: Ladder drills all week. My arms are noodles

== 2023-11-11
A: First real client! A café fit-out in Newtown #n_client
B: Your first job as the boss!
A: And the owner pays on time, which is a miracle

B: Also I've been seeing someone. Sam. She's a paramedic #b_sam
A: A paramedic and a firefighter. That's a TV show
B: Don't make it weird

== 2023-12-09
B: I graduated yesterday! Mum cried, Dad cried, I pretended I wasn't crying #b_grad@-1
A: So proud of you!! Where are they posting you?
B: Hobart. Tasmania. I move in January #b_hobart_post
A: Tasmania!! That's so far
B: It's a short flight. You'll come visit

== 2023-12-30
A: Christmas was lovely. Dad walked the whole beach without his stick
B: And Mum knitted socks for everyone including the hens
A: I'm keeping the hen socks

B: Packing my whole life into eleven boxes. I own too many bike parts
B: Last Christmas as a Melbourne boy. Weird #b_melb

== 2024-01-20
B: I've been in Hobart a week now. It's summer and I'm wearing a jumper #b_moved@-7
A: Haha welcome to Tassie. Where's the station?
B: Sandy Bay. The crew is great, they call me "Mainland" #b_station
A: Cute
A: Meanwhile Sydney is 38 degrees and the hens are sitting in the sprinkler

== 2024-02-17
B: New family member: Rusty, an eight-week-old kelpie. Got him three days ago #b_rusty@-3
A: A kelpie! He'll run you ragged
B: He already has. He ate my left work boot #b_rusty_boot
A: Bad news here, a fox got Nugget last night. Only Beyoncé and Dolly left now #n_nugget@-1
B: Oh no, Nugget :( She had attitude
A: She went down fighting, there were feathers everywhere

==! 2024-02-23
A: How's the boot-eater?
B: He's moved on to socks. I'm calling it progress

== 2024-03-16
B: First proper fire call last week. A shed, no one hurt. My hands were shaking after #b_firstfire@-7
A: That must've been intense
B: The crew bought me a pie afterwards. Tradition apparently

A: Surf update: I can stand up now. Properly. For a whole wave #n_surf2
B: Nora the surfer

== 2024-04-20
A: Mum and Dad's 40th anniversary is in May. What if we sent them on a trip? #fam_anniv
B: Yes! Somewhere Dad can walk now
A: Queenstown in New Zealand? Lakes, a gondola, no long hikes #fam_nz
B: Perfect. I'll pay half

== 2024-06-01
A: Whitfield Studio has its first employee! Tom, a graduate, very keen, very tall #n_tom
B: You're a boss boss now
B: Sam came down for the long weekend. Rusty ate her sunglasses #b_sam_visit
A: That dog eats everything

== 2024-07-13
A: Mum and Dad got back from Queenstown five days ago. They loved it #fam_nz_back@-5
B: Dad sent me a photo from the gondola. He looks terrified
A: Mum says he was fine until he looked down

B: Took Rusty up kunanyi yesterday, snow at the top, he went mental #b_kunanyi@-1
A: A kelpie in the snow, that's joy

== 2024-08-24
A: The Newtown café won a small design award! Local, but still #n_award
B: NORA! Your first award!
A: The owner put the certificate above the coffee machine

B: Sam's moving to Hobart. She got a job with the ambulance service here #b_sam_move
A: Benny! That's serious
B: It's serious

== 2024-09-14
B: Booking flights for Sydney next month. Can I stay in the spare room?
A: The spare room is now an office with a very tall graduate in it. You get the couch
B: Fine. Is Dolly still laying?
A: Back to an egg a day now that it's spring #n_dolly
"""

EN4_QUESTIONS = """
s|en|end|n_hens|What are the names of Nora's hens?|Beyoncé, Dolly and Nugget
s|en|end|b_shop|Where did Ben work before becoming a firefighter?|At Spoke & Chain, a bike shop in Fitzroy
s|en|end|fam_mum_retire|What was Nora and Ben's mum's job before she retired?|School librarian (31 years)
s|en|end|b_fitness|How did Ben do on the fitness test?|He passed, reaching level 11 on the beep test
s|en|end|n_kitchen|What does Nora's new kitchen look like?|Green tiles and brass taps
s|zh|end|n_client|Nora的工作室第一个客户是什么项目？|纽敦（Newtown）一家咖啡馆的装修
s|en|end|b_sam|What does Sam do for work?|She's a paramedic (later with the ambulance service in Hobart)
s|en|end|b_station|Which fire station is Ben posted to?|Sandy Bay, in Hobart
s|en|end|b_rusty|What breed is Ben's puppy?|A kelpie, named Rusty
s|ja|end|n_tom|ノラさんの事務所の最初の社員は誰ですか？|トム（新卒）
s|en|end|b_footy|What's the name of Ben's footy team?|The Fitzroy Falcons
s|en|end|fam_nz|Where did Nora suggest sending their parents for the anniversary?|Queenstown, New Zealand
s|en|end|n_award|Which of Nora's projects got recognised with a prize?|The café fit-out in Newtown
t|en|end|n_hens|When did Nora get her hens?|{date:n_hens}
t|en|ev:b_chloe+14|b_chloe|What happened with Ben and Chloe two weeks ago?|They broke up
t|en|end|fam_knee|When did Dad have his knee replacement?|{date:fam_knee}
t|en|ev:n_surf+7|n_surf|What did Nora try for the first time last week?|A surf lesson at Bondi
t|en|end|n_studio|When did Nora open her own practice?|{month:n_studio}
t|en|end|b_moved|When did Ben move to Hobart?|Around {date:b_moved}
t|zh|ev:b_kunanyi+1|b_kunanyi|Ben昨天带狗去了哪里？|kunanyi山（惠灵顿山），山顶有雪
t|en|nextmonth:n_nugget|n_nugget|Which hen did Nora lose last month?|Nugget, to a fox
t|ja|nextyear:b_grad|b_grad b_hobart_post|ベンさんは去年何を修了しましたか？|消防士の訓練課程を卒業し、ホバートに配属された
m|en|end|b_shop b_fire_apply b_recruit b_grad|How did Ben become a firefighter?|Left bike-shop work, applied to Fire Rescue Victoria, got into the 16-week recruit course and graduated in December 2023
m|en|end|b_shop b_melb b_moved|Which cities has Ben lived in?|Melbourne (Fitzroy), then Hobart from January 2024
m|en|end|n_hens n_nugget n_dolly|How many hens does Nora have now?|Two, Beyoncé and Dolly; a fox got Nugget
m|en|end|fam_knee_plan fam_knee fam_nz|Why did Nora pick Queenstown for their parents, given Dad's health?|Dad had a knee replacement in May 2023; Queenstown has lakes and a gondola without long hikes
m|en|end|n_own_plan n_studio n_client n_tom|How has Nora's practice grown?|She left Lachlan & Webb, opened Whitfield Studio in her spare room, got a café client, then hired Tom
m|zh|end|n_surf n_surf2|Nora学冲浪有什么进步？|第一次课只站起来0.5秒，后来能完整地站着冲一整个浪
m|en|end|b_sam b_sam_visit b_sam_move|How has Ben's relationship with Sam developed?|Started seeing her in late 2023, she visited Hobart, and she is moving there for an ambulance job
o|en|end|b_rusty_boot b_sam_visit|Should Ben leave his shoes out with Rusty around?|Better not: Rusty chews things, he ate a work boot and sunglasses
o|en|end|b_rusty b_kunanyi|Would Rusty enjoy a long mountain walk?|Yes, he loved going up kunanyi in the snow
o|en|end|n_own_plan|Has Nora always been interested in designing buildings?|Yes, Ben teases that she designed Barbie houses as a child
o|en|end|fam_mum_retire|What would Mum probably do with her free time in retirement?|Read; she wants to read all the books she shelved
o|ja|end|b_station b_moved|ベンさんはホバートの職場になじんでいると思いますか？|おそらく。仲間はいい人たちで「Mainland」というあだ名で呼ばれている
o|en|end|fam_grandma|Is Grandma still energetic at 90?|Yes, she danced to ABBA for an hour at her party
"""

# zh1: 陈静（上海的产品经理，后来去了杭州，学古筝，养猫）和刘洋（深圳程序员，辞职去大理开咖啡店，养柯基，当爸爸）。
ZH1_SESSIONS = """
== 2022-06-11
A: 618大促快把我榨干了，这两周天天加班到十一点 #c_pm
B: 产品经理的命啊哈哈
A: 别笑，你们程序员也好不到哪去 #l_coder
B: 我今天下午偷跑出来，带豆豆去深圳湾吹风了 #l_doudou_walk
A: 你家那只小短腿柯基还走得动吗？ #l_doudou
B: 比我能走，一路追海鸥

A: 上海这几天黄梅天，衣服晾三天都不干 #c_shanghai

== 2022-06-25
B: 跟你说个事，我跟小雨前天领证了 #l_married@-2
A: 啊啊啊！！恭喜恭喜！！怎么都不提前说一声
B: 就是很突然地决定了，挑了个日子就去了
A: 婚礼什么时候办？我要当伴娘……不对，我要坐主桌
B: 婚礼可能明年吧，先不折腾了

== 2022-07-16
A: 我报了个古筝班，上周六上了第一节课 #c_guzheng@we
B: 古筝？你怎么突然这么文艺
A: 小时候就想学，一直没机会。现在手指头疼死了，戴着假指甲弹
B: 等你学会了给我们店……给我们家弹一曲

B: 深圳这两天热到怀疑人生，出门五分钟就湿透

== 2022-08-06
A: 我昨天领养了一只猫！！ #c_juzi@-1
B: 什么猫？发照片！
A: 小橘猫，救助站的，叫橘子。已经霸占我的枕头了 #c_juzi
B: 橘猫十只九胖，你要做好心理准备
A: 它现在才两斤，瘦得可怜

== 2022-08-27
B: 我最近一直在想一件事……我想辞职，去大理开个咖啡店 #l_cafe_idea
A: ？？？你认真的？
B: 认真的。每天996，头发都要掉光了，小雨也支持 #l_996
A: 开店很辛苦的，你想清楚哦
B: 想了半年了，就差一个勇气

== 2022-09-17
A: 中秋回南京了，我妈做了一桌子菜，吃撑了 #c_nanjing
B: 南京人中秋吃什么？
A: 桂花鸭！还有我妈自己包的月饼，巨难吃但是不敢说
B: 哈哈哈

B: 对了，我昨天把辞职信交了 #l_quit@-1
A: 真辞了？！勇士
B: 老板挽留了一下，我说想去晒太阳

==! 2022-10-08
B: 国庆跟小雨在大理待了五天，到处看铺面 #l_scout
A: 看到合适的了吗？
B: 有一家在洱海边的才村，小院子，可以看到苍山 #l_scout
A: 听起来好美
A: 我国庆哪儿也没去，在家撸猫看剧，挺好的

== 2022-11-05
A: 我升职了，现在是高级产品经理 #c_promo
B: 陈总！以后请多关照
A: 别，工资只涨了一点点，活多了一大堆
B: 那也是升了！

B: 才村那个院子我们签了，租了三年 #l_lease

== 2022-12-03
A: 我阳了，烧了三天，今天才退 #c_covid
B: 啊，多喝水多休息。橘子有没有照顾你
A: 它只会趴在我肚子上取暖
B: 我们上周搬到大理了，东西还没收拾完 #l_moved@-7
A: 正式成为大理人了！

== 2023-01-14
B: 咖啡店三天前开业了！名字叫"慢半拍" #l_open@-3
A: 这名字太适合你了！开业怎么样？
B: 第一天卖了四十多杯，累瘫了
A: 等我有空一定去打卡

A: 下周就回南京过年了，票好难抢

== 2023-02-04
A: 过年回家，我妈体检查出甲状腺结节，医生建议做手术 #c_mom_plan
B: 啊，严重吗？
A: 医生说是良性的可能性大，但是要切掉。三月初做 #c_mom_plan
B: 别太担心，现在这种手术很成熟了

B: 还有个消息，小雨怀孕了 #l_preg
A: 天哪！！双喜临门！

== 2023-03-11
A: 我妈前天做完手术了，很顺利，在鼓楼医院 #c_mom_surgery@-2
B: 太好了！阿姨恢复得怎么样？
A: 嗓子有点哑，但是精神很好，已经开始指挥我爸了
B: 哈哈那就是没事了

B: 店里周末人多，平时就靠老客人

== 2023-04-08
A: 古筝考级过了！四级！ #c_grade4
B: 厉害！才学了不到一年吧
A: 九个月。手指上的茧可以证明我的努力
B: 好的陈大师

B: 豆豆前两天偷吃了客人的巧克力蛋糕，吓死我了，连夜送医 #l_doudou_choc
A: 啊！它没事吧？
B: 催吐了，现在活蹦乱跳的

== 2023-05-13
A: 五一在你店里坐的那个下午，我到现在还在怀念 #c_dali_visit
B: 你走了之后小雨还念叨你
A: 苍山那个角度真的绝了，我拍的照片被同事疯狂转发
B: 欢迎常来！

== 2023-06-17
A: 我拿到杭州一家跨境电商公司的offer了，七月入职 #c_hz_offer
B: 要离开上海了？
A: 嗯，在上海待了七年，想换个环境。而且杭州离南京近 #c_shanghai
B: 也挺好，西湖边散散步

B: 小雨预产期是十月中旬 #l_due

== 2023-07-22
A: 上周末搬到杭州了，住在西湖区 #c_moved@we
B: 橘子适应了吗？
A: 躲在床底下两天不出来，现在开始巡视新地盘了
B: 大理这边雨季，天天下雨，店里客人少

== 2023-08-26
A: 跟你说个秘密，我谈恋爱了 #c_zhouheng
B: 哦？？哪位？
A: 叫周恒，同事介绍的，做建筑设计的 #c_zhouheng
B: 有照片吗？我帮你把关
A: 你先管好你的咖啡吧

B: 店里新出了一款特调，叫"洱海蓝"，加了蝶豆花 #l_drink

== 2023-10-21
B: 我当爸爸了！！三天前出生的，是个女儿 #l_baby@-3
A: 恭喜恭喜！！！母女平安吗？
B: 都好。大名刘小满，小名满满 #l_baby
A: 满满，好可爱的名字
B: 豆豆每天守在婴儿床边上，谁都不让靠近 #l_doudou_guard

==! 2023-10-27
A: 满满今天怎么样？
B: 吃了睡睡了吃，就是不让她爸睡

== 2023-11-25
A: 上周刚从大阪回来，跟周恒一起去的 #c_osaka@-7
B: 好玩吗？
A: 环球影城排队排到腿断，但是道顿堀的章鱼烧太好吃了
B: 满满最近天天半夜哭，我已经不记得睡整觉是什么感觉了
A: 辛苦了新手爸爸

== 2023-12-23
A: 橘子去体检，医生说它八公斤了，必须减肥 #c_juzi_fat
B: 哈哈哈我就说吧，橘猫十只九胖
A: 现在每天定量喂，它看我的眼神充满怨恨

B: 店在小红书上被一个博主推荐了，这周客人翻倍 #l_xhs

== 2024-01-20
A: 年终奖发了，比去年多，开心 #c_bonus
B: 请客请客
A: 春节准备带周恒回南京见我爸妈 #c_meet_parents
B: 哇，见家长了！紧张吗？
A: 他比我还紧张，已经在研究南京话了
B: 满满三个月了，会笑了，一笑我就投降 #l_baby3m
"""

ZH1_QUESTIONS = """
s|zh|end|l_doudou|刘洋养的是什么狗？|柯基，名字叫豆豆
s|zh|end|c_pm|陈静是做什么工作的？|产品经理（后来升为高级产品经理）
s|zh|end|c_juzi|陈静领养的猫叫什么？|橘子，一只橘猫
s|en|end|l_open|What is the name of Liu Yang's coffee shop?|慢半拍 (Man Ban Pai, "half a beat slow")
s|zh|end|l_scout|刘洋的咖啡店开在大理哪个地方？|洱海边的才村
s|zh|end|c_mom_surgery|陈静妈妈是在哪家医院做的手术？|南京鼓楼医院
s|zh|end|c_grade4|陈静古筝考到了几级？|四级
s|zh|end|c_zhouheng|陈静的男朋友是做什么的？|建筑设计（周恒）
s|zh|end|l_drink|"洱海蓝"里加了什么？|蝶豆花
s|ja|end|l_baby|劉洋さんの娘さんの名前は？|劉小満（愛称は満満）
s|zh|end|c_nanjing|陈静的老家在哪里？|南京
s|zh|end|l_lease|刘洋的店面租了多久？|三年
s|zh|end|l_coder|刘洋辞职前是做什么的？|程序员
s|zh|end|c_juzi_fat|橘子体检时有多重？|八公斤
t|zh|end|l_married|刘洋和小雨是什么时候领证的？|{date:l_married}
t|zh|end|c_guzheng|陈静是什么时候开始学古筝的？|{date:c_guzheng}
t|zh|ev:c_juzi+1|c_juzi|陈静昨天做了什么？|从救助站领养了一只橘猫（橘子）
t|zh|nextmonth:l_moved|l_moved|上个月刘洋搬去了哪里？|大理
t|zh|end|l_baby|满满是哪天出生的？|{date:l_baby}
t|zh|ev:c_osaka+14|c_osaka|陈静两周前去哪儿旅游了？|日本大阪，和周恒一起
t|en|end|l_quit|When did Liu Yang hand in his resignation?|{date:l_quit}
t|zh|nextyear:c_moved|c_hz_offer c_moved|陈静去年换到了哪个城市工作？|杭州（西湖区）
t|zh|end|c_covid|陈静阳了是在什么时候？|2022年12月初（发烧三天，{date:c_covid}退烧）
m|zh|end|c_shanghai c_hz_offer c_moved|陈静在哪些城市生活过？|上海（七年），2023年7月搬到杭州；老家南京
m|zh|end|l_996 l_quit l_scout l_lease l_moved l_open|刘洋是怎么从程序员变成咖啡店老板的？|受不了996，2022年9月辞职，国庆去大理看铺面，租下才村的院子，11月底搬过去，2023年1月开业
m|zh|end|l_doudou c_juzi|陈静和刘洋各养了什么宠物？|陈静养橘猫橘子，刘洋养柯基豆豆
m|zh|end|l_preg l_due l_baby|小雨怀孕到生产的经过是什么？|2023年2月告知怀孕，预产期十月中旬，10月18日前后生下女儿满满
m|en|end|c_guzheng c_grade4|How long did it take Chen Jing to pass grade 4 on the guzheng?|About nine months: first lesson in July 2022, passed grade 4 in April 2023
m|zh|end|c_dali_visit l_open|陈静去过刘洋的咖啡店吗？|去过，2023年五一假期去了大理"慢半拍"
m|zh|end|c_zhouheng c_osaka c_meet_parents|陈静和周恒的关系进展到哪一步了？|2023年8月开始交往，一起去了大阪，春节要带他回南京见父母
o|zh|end|l_doudou_choc|刘洋店里的甜点应该放在豆豆够得着的地方吗？|不应该，豆豆偷吃过客人的巧克力蛋糕
o|zh|end|c_guzheng c_grade4|给陈静送什么生日礼物比较合适？|和古筝有关的东西，比如古筝曲谱或新的义甲
o|en|end|c_juzi_fat|Should Chen Jing give Juzi extra treats?|No, the vet said the cat weighs 8 kg and must lose weight
o|zh|end|c_dali_visit|陈静喜欢大理吗？|喜欢，她一直怀念在店里看苍山的那个下午
o|zh|end|l_doudou_guard|豆豆和满满的关系怎么样？|很好，豆豆天天守在婴儿床边保护她
o|ja|end|l_996 l_quit|劉洋さんは前の仕事に満足していましたか？|していなかった。996の長時間労働に疲れて辞めた
o|zh|end|l_xhs|刘洋的店最近生意怎么样？|变好了，被小红书博主推荐后客人翻倍
"""

# zh2: 兄妹王浩（北京的中学物理老师，金毛可乐，儿子乐乐，在通州买房）和王悦（广州读研，毕业后去深圳做心理咨询师，
# 养仓鼠和猫，爱爬山）。老家武汉。
ZH2_SESSIONS = """
== 2023-03-04
B: 哥，我毕业论文初稿终于交给导师了 #y_thesis
A: 不错啊，写的啥来着？
B: 大学生睡眠和焦虑的关系，心理学的，说了你也不懂 #y_psych
A: 我教了十年物理，怎么就不懂了 #h_teach

A: 可乐今天又把沙发咬了一个洞，林琳快疯了 #h_cola_name
B: 金毛就是这样，三岁前都是拆家狂魔 #h_cola
A: 它都五岁了！ #h_cola_age

== 2023-03-25
B: 下周去深圳面试，一家心理咨询机构 #y_interview
A: 加油！需要钱买衣服跟哥说
B: 哥你真好，那我要一千
A: ……我说说而已

A: 乐乐今天在幼儿园跟人抢积木，哭得整栋楼都听见了 #h_lele_kg

== 2023-04-15
B: 深圳那家的offer下来了！"心晴咨询"，七月入职 #y_offer
A: 太好了！妈知道了吗？
B: 第一个告诉的就是她，她说深圳太远了哭了十分钟

A: 爸上周体检，血压有点高，医生让他开始吃药了 #dad_bp
B: 啊，他肯定又不好好吃
A: 妈在盯着

== 2023-05-20
B: 前天答辩通过啦！！ #y_defense@-2
A: 恭喜王硕士！
B: 导师说我是她带过最能拖的学生，但是写得还行

A: 上周末第一次带乐乐去钓鱼，一条没钓着，他把蚯蚓全放生了 #h_fish@we
B: 哈哈哈乐乐好善良

== 2023-06-17
B: 毕业典礼拍了一堆照片，穿着学位服在中大门口 #y_grad
A: 发家族群！爸妈等着呢
B: 已经发了，妈转发了二十多个群

A: 端午回武汉吗？
B: 不回了，马上要搬家，忙不过来

== 2023-07-08
B: 五天前搬到深圳了，租在南山区，离公司走路十分钟 #y_moved@-5
A: 房租多少？
B: 别问，问就是一半工资
A: 那两只仓鼠呢？也带过去了？
B: 团子和汤圆坐了一路高铁，比我还淡定 #y_hamsters

A: 北京这两天暴雨，学校门口水淹到膝盖

== 2023-08-05
A: 上周刚从青岛回来，带乐乐去看海 #h_qingdao@-7
B: 乐乐第一次看海吗？
A: 第一次，在沙滩上挖了一下午坑，说要挖到美国
B: 哈哈哈有志向

B: 我这周接了第一个来访者，紧张得手心全是汗 #y_first_client
A: 王老师加油

==! 2023-09-02
A: 乐乐昨天上小学了，背着比他还大的书包 #h_lele_school@-1
B: 天哪，时间过得好快！哭了没？
A: 他没哭，林琳哭了

B: 我科目一过了，考了98分 #y_drive1
A: 开始学车了？深圳学车不便宜吧

==! 2023-09-30
A: 我回武汉了，你真不回来啊？
B: 国庆要值班，心理热线人手不够 #y_duty
A: 爸的血压稳定了，每天早上自己量 #dad_bp_ok
A: 妈在广场舞比赛拿了二等奖，现在走路都带风 #mom_dance
B: 哈哈哈快发视频！

== 2023-10-28
B: 上周调休去了拉萨，一个人 #y_lhasa@-7
A: 一个人去西藏？你胆子也太大了
B: 高原反应第一天差点晕过去，后来就好了。布达拉宫太震撼了 #y_lhasa
A: 下次叫上我
B: 你带着乐乐和可乐怎么去

== 2023-11-25
A: 跟你说个大事，我们在通州买房了，昨天签的合同 #h_house@-1
B: 哇！恭喜哥！
A: 三十年贷款，我这辈子就给银行打工了 #h_house
B: 那可乐有大房子住了

B: 我驾照拿到了！上周科目四过的 #y_license@-7
A: 厉害，深圳马路小心点

==! 2023-11-30
B: 哥，那边手续都办完了吗？
A: 差不多了，剩下的交给中介跑

==! 2023-12-22
B: 团子走了，昨天早上发现的，它两岁半了 #y_tuanzi@-1
A: 啊……节哀。仓鼠寿命本来就短
B: 我知道，就是很难过。汤圆好像也不太精神
A: 抱抱

A: 冬至了，林琳包了饺子，乐乐包的那几个全破了

== 2024-01-20
A: 新房开始装修了，每天下班去看一眼 #h_reno
B: 装什么风格？
A: 林琳说是原木风，我觉得就是什么都没有风
B: 哈哈

B: 春节我回武汉，初二再走

== 2024-02-17
B: 过年被妈念叨了七天，问我什么时候找男朋友 #y_pressure
A: 妈给你安排相亲了吗？
B: 安排了两个！我都用工作忙推掉了
A: 乐乐收了两千多压岁钱，林琳说帮他存着，懂的都懂

== 2024-03-16
B: 上周末第一次去攀岩馆，爬到一半腿抖得下不来 #y_climb@we
A: 你不是爱爬山吗
B: 爬山和攀岩是两回事！但是好玩，我办了年卡 #y_climb
A: 我最近腰不行了，医生说是腰间盘突出，让我少久坐，钓鱼也得少去 #h_back
B: 哥你注意点啊

== 2024-04-13
B: 我前天在小区里捡了一只流浪猫，黑的，叫芝麻 #y_zhima@-2
A: 汤圆会不会怕它？
B: 我把笼子放书架顶上了，芝麻够不着
A: 新房装修完了，在通风，五一搬 #h_reno_done

== 2024-05-18
A: 五一搬进通州的新家了，可乐在客厅跑圈，快乐疯了 #h_moved
B: 终于！发照片看看原木风
A: 就是很多木头
B: 我考过了心理咨询师的督导评估，下个月开始可以独立带个案了 #y_promo

== 2024-06-22
B: 哥，我有男朋友了 #y_chenmo
A: 哦？谁啊？
B: 叫陈默，是个摄影师，攀岩馆认识的 #y_chenmo
A: 靠谱吗？先别告诉妈，不然她明天就飞深圳
B: 哈哈我就是这么想的

A: 乐乐期末数学考了100，尾巴翘上天了 #h_lele_math

== 2024-07-27
A: 爸上周正式退休了，开了三十五年公交车 #dad_retire@-7
B: 爸辛苦了！他退休了干嘛？
A: 说要跟妈去学广场舞，妈说不带他 #dad_retire_plan

B: 深圳台风，今天全市停工，我在家跟芝麻大眼瞪小眼

== 2024-08-31
B: 十天前跟陈默去了丽江，爬了玉龙雪山，四千六百米 #y_yulong@-10
A: 你们俩都是爬山狂魔
B: 他拍了好多照片，说我在山顶像一只企鹅
A: 可乐三天前做了膝盖手术，十字韧带断了 #h_cola_surgery@-3
B: 啊！可乐还好吗？
A: 戴着伊丽莎白圈，委屈得不行

==! 2024-10-05
A: 开车回武汉，堵了十二个小时，乐乐在后座睡了醒醒了睡
B: 我和陈默坐高铁，四个半小时就到了
B: 爸妈见了陈默，妈一直给他夹菜，爸跟他聊了一晚上公交车 #y_meet
A: 看来过关了
"""

ZH2_QUESTIONS = """
s|zh|end|y_psych|王悦毕业论文研究的是什么？|大学生睡眠和焦虑的关系（心理学）
s|zh|end|h_cola_name h_cola|王浩家的狗是什么品种？|金毛，名叫可乐
s|zh|end|y_offer|王悦毕业后去了哪家机构工作？|深圳的"心晴咨询"
s|zh|end|y_hamsters|王悦的两只仓鼠叫什么名字？|团子和汤圆
s|zh|end|mom_dance|妈妈跳舞比赛得了什么名次？|二等奖
s|en|end|h_house|Where did Wang Hao buy his flat?|In Tongzhou, Beijing (with a 30-year mortgage)
s|zh|end|y_zhima|王悦捡到的猫是什么颜色的？|黑色，叫芝麻
s|zh|end|y_chenmo|王悦的男朋友是做什么的？|摄影师（陈默）
s|zh|end|dad_retire|爸爸退休前是做什么工作的？|开了三十五年公交车
s|ja|end|h_back|王浩さんは医者に何と診断されましたか？|腰椎椎間板ヘルニア
s|zh|end|y_grad|王悦是在哪所学校读的研？|中大（中山大学）
s|zh|end|y_drive1|王悦科目一考了多少分？|98分
s|zh|end|h_teach|王浩教什么科目？|物理
t|zh|end|y_defense|王悦是哪天答辩通过的？|{date:y_defense}
t|zh|ev:h_fish+7|h_fish|王浩上周带乐乐去做了什么？|去钓鱼（一条没钓着）
t|zh|end|y_moved|王悦什么时候搬到深圳的？|{date:y_moved}
t|zh|ev:h_lele_school+1|h_lele_school|乐乐昨天有什么大事？|上小学了
t|zh|ev:y_lhasa+14|y_lhasa|王悦两周前一个人去哪里旅行了？|拉萨（西藏）
t|zh|nextmonth:y_tuanzi|y_tuanzi|王悦上个月失去了哪只宠物？|仓鼠团子
t|en|end|h_house|When did Wang Hao sign the contract for his new flat?|{date:h_house}
t|zh|nextyear:y_license|y_license|王悦去年什么时候拿到驾照的？|{month:y_license}
t|ja|ev:h_cola_surgery+7|h_cola_surgery|先週、可楽（コーラ）はどうしましたか？|十字靭帯が切れて膝の手術を受けた
m|zh|end|y_interview y_offer y_moved|王悦找到深圳工作的过程是怎样的？|三月去深圳面试，四月拿到心晴咨询的offer，七月初搬到深圳南山区
m|zh|end|y_hamsters y_tuanzi y_zhima|王悦现在养着哪些宠物？|仓鼠汤圆和黑猫芝麻（团子已经去世）
m|zh|end|dad_bp dad_bp_ok|爸爸的血压问题现在怎么样了？|2023年4月查出偏高开始吃药，到国庆时已经稳定
m|zh|end|h_house h_reno h_reno_done h_moved|王浩的新房从买到入住花了多久？|2023年11月签合同，2024年1月开始装修，五一搬进去，大约五个多月
m|en|end|y_climb y_chenmo y_yulong|How did Wang Yue meet her boyfriend, and what did they do in the summer of 2024?|At the climbing gym; they climbed Jade Dragon Snow Mountain near Lijiang
m|zh|end|h_cola_age h_cola_surgery|可乐今年多大了？最近身体怎么样？|大约六岁半（2023年3月五岁），2024年8月做了十字韧带手术
m|ja|end|h_lele_kg h_lele_school h_lele_math|楽楽くんはこの一年でどのように成長しましたか？|幼稚園で泣いていたが、2023年9月に小学校に入学し、期末の算数で100点を取った
o|zh|end|y_lhasa y_climb y_yulong|王悦会喜欢徒步登山的旅行吗？|会，她爱爬山，去过拉萨，爬过玉龙雪山，还办了攀岩年卡
o|zh|end|h_back|王浩适合长时间开车钓鱼吗？|不太适合，他腰间盘突出，医生让他少久坐少钓鱼
o|zh|end|y_pressure y_meet|妈妈对王悦的感情生活态度有什么变化？|从催她相亲到热情招待陈默，很满意
o|en|end|h_fish h_qingdao|What kind of weekend outing would Lele likely enjoy?|Outdoors by the water: fishing or the beach; he loved digging on the beach in Qingdao
o|zh|end|y_first_client y_promo|王悦的工作进展顺利吗？|顺利，从第一次接来访者很紧张，到通过督导评估可以独立带个案
s|zh|end|y_duty|王悦2023年国庆为什么没回武汉？|要值班，心理热线人手不够
o|zh|end|dad_retire_plan mom_dance|爸爸退休后可能想培养什么爱好？|广场舞：他想跟妈妈去学（妈妈在广场舞比赛拿过二等奖）
"""

# zh3: 成都一家游戏公司的同事周婷（UI设计师，后来当组长，养兔子，订婚）和黄磊（后端程序员，养乌龟，学吉他，
# 调去上海分部）。
ZH3_SESSIONS = """
==! 2022-10-15
A: 周六还在公司改"山海"的界面，我是不是疯了 #g_shanhai
B: 我在楼下打羽毛球，打完上来陪你加班 #b_badminton
A: 你打球就打球，别来我这儿出汗
B: 哈哈

A: 上个月开始练瑜伽，现在终于能摸到脚尖了 #t_yoga@-30
B: 我摸到脚尖的前提是先弯腰，我不弯

== 2022-11-05
B: 家里那两只乌龟快要冬眠了，我在给它们准备沙箱 #b_turtles
A: 叫什么来着？
B: 快快和慢慢。慢慢其实比快快跑得快 #b_turtles
A: 哈哈起名鬼才

A: 雪球昨天把我的充电线咬断了，第三根了 #t_rabbit@-1
B: 你家兔子是真的饿 #t_rabbit
A: 它就是看不得我好

== 2022-11-26
A: 上周终于搬家了，从高新区搬到了玉林 #t_move@-7
B: 玉林好啊，小酒馆多
A: 楼下就是一家，每天晚上都有人唱《成都》
B: 通勤呢？
A: 地铁四十分钟，能忍

B: 下周回重庆给我爸过六十大寿 #b_dad60

==! 2022-12-24
A: 平安夜还在公司，连苹果都没吃上
B: 我上周买了把吉他，现在每天弹半小时，邻居还没投诉 #b_guitar@-7
A: 等你学会了年会上表演一个
B: 想多了

== 2023-01-14
A: 昨晚年会我抽中一等奖了！一台平板！ #t_lottery@-1
B: 我抽了个保温杯，还是最丑的颜色
A: 哈哈我把平板借你玩
B: 下周回重庆过年，终于能吃上正宗火锅了 #b_cq

== 2023-02-11
B: 过年回家吃胖了五斤，小芸说我脸圆了 #b_wife
A: 你儿子呢？
B: 小川四岁了，在重庆被爷爷奶奶宠上天 #b_son
A: 我在西安老家吃了七天泡馍，也胖了 #t_xian

== 2023-03-18
A: "山海"定了四月二十号上线 #g_launch_plan
B: 服务器这边压力山大，最近天天加班到十点
A: 我也是，美术资源还差一大堆
B: 上线之后一起去吃串串庆祝

==! 2023-04-22
B: "山海"前天上线了，开服半小时服务器就崩了 #g_launch@-2
A: 我看到群里了，你们修到几点？
B: 凌晨三点。我在机房睡了一晚 #b_server
A: 辛苦了！首日玩家评价还挺好的
B: 那就值了

==! 2023-04-27
A: 服务器今天还稳吗？
B: 稳得很，我终于能回家睡觉了

== 2023-05-20
A: 上周末团建去青城山，你一口气爬到山顶，我坐的缆车 #g_qingcheng@we
B: 你坐缆车还比我晚到，这怎么解释
A: 我在半山腰吃了一碗豆花 #t_douhua
B: 合理

== 2023-06-17
A: 我升组长了，以后管UI组五个人 #t_lead
B: 周组长！以后改需求找你了
A: 你敢

B: 小川幼儿园中班结业，表演节目的时候一直在挖鼻孔

== 2023-07-15
A: 跟你说个事，我跟阿杰在一起半年了 #t_ajie
B: 阿杰是谁？？我怎么不知道
A: 隔壁公司的程序员，一起吃过一次饭你忘了 #t_ajie
B: 哦那个高个子！

B: 我三天前提了辆电车，以后上班不挤地铁了 #b_car@-3
A: 恭喜！周末带我去兜风

== 2023-08-19
A: 前天刚从新疆回来，在伊犁玩了十天 #t_xinjiang@-2
B: 薰衣草看到了吗？
A: 看到了，还骑了马，屁股现在还疼 #t_xinjiang
B: 成都这几天三十九度，你回来得不是时候

== 2023-09-23
B: 公司要调我去上海分部做技术负责人，十一月过去 #b_sh_plan
A: 啊？！你要走了？
B: 嗯，小芸也同意，小川正好在上海上幼儿园
A: 以后中午没人陪我吃饭了

== 2023-10-21
A: 雪球前天胃胀气，肚子鼓鼓的不吃东西，连夜送医 #t_rabbit_sick@-2
B: 现在好了吗？
A: 打了针，今天开始吃草了
B: 我现在能弹《成都》了，给你录一段 #b_guitar2
A: 好听！进步很大

== 2023-11-18
B: 上周搬到上海了，住在张江，离公司五分钟 #b_moved@-7
A: 乌龟也带过去了吗？
B: 快快和慢慢坐的是我的车，一路冬眠，毫无感觉
A: 中午吃饭少了你好不习惯

== 2023-12-16
B: 上海的菜都是甜的，红烧肉甜，青菜也甜，我快疯了 #b_sweet
A: 哈哈哈你一个重庆人
A: 阿杰昨天求婚了 #t_propose@-1
B: 啊啊啊！你答应了吗？
A: 答应了！他在我们第一次吃饭的那家店求的 #t_propose

== 2024-01-20
A: 我开始学做饭了，昨天做红烧肉，糊了 #t_cook
B: 放糖了吗？上海人会告诉你要放很多糖
A: 放了，所以糊了
B: 小川在上海的幼儿园适应得挺好，已经会说"侬好"了

== 2024-02-24
A: 春节带阿杰回西安见我爸妈了，我爸灌了他一斤白酒 #t_parents
B: 哈哈哈考验来了
A: 他居然没倒，我爸很满意
B: 我回重庆过年，天天火锅，回上海体检血脂高了 #b_lipid

== 2024-03-23
A: 婚礼定在十月，在成都 #t_wedding
B: 我一定回去！
B: 上海这边公司有羽毛球俱乐部，我每周三都去 #b_badminton_sh
A: 慢慢醒了吗？
B: 前几天醒的，比快快早，还是它快 #b_turtle_wake

==! 2024-04-20
A: "山海"今天一周年了，公司发了蛋糕
B: 一晃一年了，还记得那天凌晨三点吗
A: 我这周考过了瑜伽初级教练证 #t_yoga_cert
B: 牛！以后可以兼职教课了

== 2024-05-18
A: 五天前去稻城亚丁拍了婚纱照，美到哭 #t_photos@-5
B: 发我看看！高反了吗？
A: 有一点，阿杰比我严重
B: 跟你说个好消息，小芸怀二胎了 #b_second
A: 恭喜！！小川要当哥哥了
"""

ZH3_QUESTIONS = """
s|zh|end|b_turtles|黄磊养的两只乌龟叫什么名字？|快快和慢慢
s|zh|end|t_rabbit|周婷养的兔子叫什么？|雪球
s|zh|end|t_lottery|周婷在年会上抽到了什么？|一等奖，一台平板
s|zh|end|b_son|黄磊的儿子叫什么？|小川
s|zh|end|t_xian|周婷的老家在哪里？|西安
s|zh|end|t_lead|周婷升为组长后管几个人？|UI组五个人
s|en|end|t_ajie|What does Zhou Ting's boyfriend do for a living?|He's a programmer at the company next door (Ajie)
s|zh|end|t_xinjiang|周婷在新疆哪个地方玩的？|伊犁
s|zh|end|b_moved|黄磊在上海住在哪个区域？|张江
s|ja|end|t_propose|阿傑さんはどこでプロポーズしましたか？|二人が初めて一緒に食事をした店
s|zh|end|b_sweet|黄磊对上海的饭菜有什么不习惯的？|太甜了
s|zh|end|t_yoga_cert|周婷考了什么证？|瑜伽初级教练证
s|zh|end|t_douhua|团建的时候周婷在半山腰吃了什么？|一碗豆花
t|zh|end|g_launch|"山海"是哪天上线的？|{date:g_launch}
t|zh|ev:t_move+14|t_move|两周前周婷搬到了哪里？|成都玉林（从高新区搬过去）
t|zh|ev:b_guitar+7|b_guitar|黄磊上周开始学什么乐器？|吉他
t|zh|end|b_car|黄磊是什么时候买的电车？|{date:b_car}
t|zh|ev:t_propose+1|t_propose|周婷昨天遇到了什么大事？|阿杰向她求婚，她答应了
t|zh|nextmonth:t_rabbit_sick|t_rabbit_sick|上个月雪球怎么了？|胃胀气，不吃东西，送医打针
t|en|end|t_xinjiang|When did Zhou Ting get back from Xinjiang?|{date:t_xinjiang}
t|zh|nextyear:b_moved|b_sh_plan b_moved|黄磊去年被调到了哪里？|上海分部（张江），做技术负责人
t|ja|end|t_photos|周婷さんはいつウェディングフォトを撮りましたか？|{date:t_photos}ごろ（稲城亜丁で）
m|zh|end|t_move t_wedding|周婷婚礼所在的城市也是她现在住的城市吗？|是，都在成都（她住玉林，婚礼也在成都）
m|zh|end|b_badminton b_badminton_sh|黄磊在成都和上海都坚持什么运动？|羽毛球
m|zh|end|g_launch_plan g_launch b_server|"山海"上线前后黄磊的工作怎么样？|上线前天天加班到十点，上线当天服务器崩了，修到凌晨三点睡在机房
m|en|end|t_ajie t_propose t_parents t_wedding|How did Zhou Ting and Ajie's relationship progress?|Dating since early 2023, he proposed in December 2023, met her parents in Xi'an at Spring Festival, wedding set for October in Chengdu
m|zh|end|t_yoga t_yoga_cert|周婷练瑜伽多久考到了教练证？|大约一年半：2022年9月开始练，2024年4月考过初级教练证
m|zh|end|b_guitar b_guitar2|黄磊学吉他有什么进步？|2022年12月开始学，2023年10月已经能弹《成都》
m|zh|end|b_wife b_son b_second|黄磊家有几口人？|现在三口人：妻子小芸、儿子小川，二胎在路上
o|zh|end|b_cq b_sweet b_lipid|给黄磊推荐餐厅，应该选什么口味？|重庆口味的辣菜，比如火锅；他受不了甜口
o|zh|end|t_cook|周婷请客的话，适合让她亲自下厨吗？|最好不要，她刚学做饭，红烧肉都做糊了
o|zh|end|t_xinjiang t_photos|周婷喜欢什么样的旅行？|去风景壮阔的地方，比如新疆伊犁骑马、稻城亚丁
o|zh|end|b_lipid|黄磊过年后应该注意什么？|饮食清淡，体检血脂高了
o|ja|end|t_rabbit t_rabbit_sick|雪球はどんな性格のウサギだと思いますか？|食いしん坊でいたずら好き。充電ケーブルを何度もかじり、胃腸も弱い
o|zh|end|b_car b_moved|黄磊在上海上班需要开车吗？|不太需要，住张江离公司五分钟
"""

# ja1: 大学の同級生、美咲（東京の出版社の編集者→フリーランス、福岡へ移住、文鳥と猫）と健太（名古屋の自動車メーカーの
# エンジニア、柴犬こむぎ、ランニング、結婚）。
JA1_SESSIONS = """
== 2023-04-08
B: 昨日こむぎと鶴舞公園で花見してきた。桜より屋台のにおいに夢中だったけど #k_hanami@-1
A: こむぎちゃん相変わらずだね笑
B: 柴犬は花より団子 #k_komugi
A: それ言いたかっただけでしょ

A: 私は今月から料理本の担当になったよ。試食が多すぎて太りそう #m_editor
B: 最高の仕事じゃん
A: 出版社勤めで初めて「役得」って思った #m_editor

== 2023-04-29
A: GWは大阪の実家に帰るよ。たこ焼きパーティーの予定 #m_osaka
B: 関西人は家にたこ焼き器あるって本当なんだ
A: 一家に一台は常識

B: 実は最近走り始めた。健康診断で医者に体重のこと言われてさ #k_run_start
A: えらい！三日坊主にならないようにね
B: もう五日続いてる

== 2023-05-20
A: 三日前に文鳥をお迎えしました！名前はぴーちゃん #m_pi@-3
B: 文鳥！かわいい！
A: 手に乗ってくるの。朝五時に鳴くけど #m_pi
B: うちのこむぎも五時に起こしてくるから仲間だね

B: 健康診断の再検査、尿酸値が高いってさ。ビール控えろって #k_uric
A: えー、ビール好きなのに
B: 人生の楽しみが一つ減った

==! 2023-05-25
B: ぴーちゃん元気？
A: 今朝、初めて私の肩の上で寝たよ。感動した

== 2023-06-10
A: 担当した料理本が発売されました！『週末ごはん帖』 #m_book1
B: おめでとう！本屋で探す！
A: 平積みになってて思わず写真撮っちゃった
B: 5キロ走れるようになったよ。ノンストップで #k_5k
A: すごい、一か月でそこまで？

== 2023-07-08
B: 先週から真奈と一緒に住み始めたんだ #k_mana_live@-7
A: ついに同棲！こむぎは真奈さんになついてる？
B: 完全に俺より真奈派。裏切り者
A: 笑

A: 東京暑すぎて夏バテ気味。そうめんしか食べてない #m_tokyo

== 2023-08-12
B: 昨日北海道から帰ってきた。真奈と富良野に行ってた #k_hokkaido@-1
A: ラベンダー畑？いいなー
B: メロンも食べまくった。涼しくて天国だった
A: 私は今大阪。実家で溶けてる

== 2023-09-09
A: 決めた。会社辞めてフリーランスの編集者になる。十月末で退職 #m_freelance_plan
B: まじで！？思い切ったね
A: 七年いたし、自分のペースで仕事したくなって
B: 美咲なら大丈夫だよ。応援してる

B: こむぎ昨日で三歳になった。ケーキは犬用のやつ #k_komugi3@-1

== 2023-10-07
B: 先週、初めてのハーフマラソン走ってきた。2時間5分 #k_half@-7
A: すごい！半年前は5キロだったのに
B: 最後の3キロは記憶がない
A: 私は送別会の幹事を自分でやってる。おかしくない？

==! 2023-11-04
A: 四日前に退職しました。フリーランス一年生です #m_quit@-4
B: おつかれさま！最初の仕事は？
A: 旅行ガイドブックの編集。九州特集 #m_guide
B: 取材で九州行けるじゃん

B: 名古屋も紅葉始まったよ

== 2023-12-02
A: 実は福岡に引っ越そうか迷ってる。家賃安いし、取材でいいところだなって #m_fukuoka_idea
B: フリーランスならどこでも働けるもんね
A: それ。東京の家賃に払ってるお金、もったいなくて

B: 相談なんだけど、クリスマスに真奈にプロポーズしようと思ってる #k_propose_plan
A: えーー！！全力で応援する

==! 2023-12-27
B: 報告。三日前、名古屋港の観覧車の中でプロポーズした #k_propose@-3
A: で！？
B: OKもらった！！ #k_propose
A: おめでとう！！泣いた？
B: 観覧車が一周するまでに指輪出せなくて焦った

A: 年末は大阪で過ごすよ。お母さんがおせち作ってる

== 2024-01-20
A: 福岡に引っ越すこと決めた！二月に行く #m_fukuoka_plan
B: 行動力すごい。寂しくなるね
A: 東京にいても会うの年一回だったじゃん
B: 確かに

== 2024-02-24
A: 福岡に来て一週間！大濠公園の近くに住んでる #m_moved@-7
B: 公園の近くいいね。ぴーちゃんは？
A: 新しい窓辺が気に入って一日中歌ってる
B: 来月、名古屋ウィメンズ……じゃなくて名古屋シティマラソンのフルに出る #k_full_plan
A: フル！？

== 2024-03-16
B: 先週フルマラソン完走した。4時間38分 #k_full@-7
A: 健太すごすぎる！
B: 30キロ過ぎてから歩きたくなったけど、真奈とこむぎが沿道にいたから頑張れた
A: 屋台でラーメン食べながら応援してた笑

== 2024-04-13
A: 昨日初めてボルダリングのジムに行った。腕がパンパン #m_boulder@-1
B: 意外！美咲ってインドア派じゃなかった？
A: 福岡に来てから外に出るようになったの

B: 式場決まった。十月に名古屋のホテルで #k_venue
A: 絶対行く！

== 2024-05-18
B: 二日前こむぎが散歩中にガラス踏んで足けがした #k_komugi_hurt@-2
A: えっ大丈夫？
B: 三針縫った。包帯がかわいそうで見てられない
A: 私はどんたく見てきたよ。人多すぎて半分しか見えなかった

== 2024-06-22
A: 担当したガイドブック、ついに出た！『九州ひとり旅』 #m_guide_out
B: おめでとう！買う！
A: 自分の写真も何枚か載ってるの
B: うちは七月に引っ越す。庭付きの一軒家を借りた。こむぎのために #k_house

== 2024-08-03
A: 二日前に台北から帰ってきた。三泊四日 #m_taipei@-2
B: 何食べた？
A: 小籠包、魯肉飯、マンゴーかき氷。ほぼ食べてただけ
B: こむぎ、新しい庭で穴掘りばっかりしてる #k_garden

== 2024-09-07
A: 猫を保護しました。白い子猫で、ミルクって名前 #m_milk
B: ぴーちゃん大丈夫？
A: 部屋は分けてる。ぴーちゃんの方が強気 #m_milk
B: 式の準備でバタバタ。招待状の宛名書き地獄

== 2024-10-19
B: 先週の式、来てくれてありがとう。スピーチ最高だった #k_wedding@-7
A: 緊張して手が震えてたよ。真奈さんのドレスきれいだった
B: 親戚のおばちゃんたちが美咲のスピーチの話ばっかりしてる #m_speech
A: 恥ずかしい笑

== 2024-11-16
B: 新婚旅行、石垣島行ってきた。先月の終わり #k_honeymoon
A: いいなー！海どうだった？
B: シュノーケリングでウミガメ見た
A: 私は仕事が増えすぎて嬉しい悲鳴

== 2024-12-14
B: 健康診断の結果、尿酸値が正常に戻ってた。走ったおかげかな #k_uric_ok
A: おめでとう！ビール解禁？
B: ちょっとだけね
A: 今年は福岡で年越しするよ。もつ鍋の予定
"""

JA1_QUESTIONS = """
s|ja|end|k_komugi|健太さんの犬の犬種は何ですか？|柴犬（こむぎ）
s|ja|end|m_pi|美咲さんが飼っている鳥は何ですか？|文鳥（ぴーちゃん）
s|ja|end|m_book1|美咲さんが担当した料理本のタイトルは？|『週末ごはん帖』
s|ja|end|k_hokkaido|健太さんは北海道のどこに行きましたか？|富良野（真奈さんと）
s|ja|end|m_guide|フリーランスになった美咲さんの最初の仕事は何でしたか？|旅行ガイドブックの編集（九州特集）
s|zh|end|k_propose|健太是在哪里求婚的？|名古屋港的摩天轮里
s|ja|end|m_moved|美咲さんは福岡のどのあたりに住んでいますか？|大濠公園の近く
s|ja|end|k_full|健太さんのフルマラソンのタイムは？|4時間38分
s|ja|end|k_venue|健太さんの結婚式はどこで行われましたか？|名古屋のホテル
s|ja|end|m_milk|美咲さんが保護した猫の名前は？|ミルク（白い子猫）
s|en|end|m_osaka|Where is Misaki's family home?|Osaka
s|ja|end|k_honeymoon|新婚旅行の行き先はどこでしたか？|石垣島
s|ja|end|k_komugi_hurt|こむぎはどうしてけがをしたのですか？|散歩中にガラスを踏んだ（三針縫った）
t|ja|ev:k_hanami+1|k_hanami|健太さんは昨日、どこで花見をしましたか？|鶴舞公園（こむぎと）
t|ja|end|m_pi|美咲さんがぴーちゃんを迎えたのはいつですか？|{date:m_pi}
t|ja|ev:k_mana_live+14|k_mana_live|二週間前から健太さんの生活で何が変わりましたか？|真奈さんと同棲を始めた
t|ja|end|m_quit|美咲さんが出版社を辞めたのはいつですか？|{date:m_quit}
t|ja|ev:k_half+7|k_half|先週、健太さんは何をしましたか？|初めてのハーフマラソンを2時間5分で走った
t|ja|nextmonth:m_moved|m_fukuoka_plan m_moved|先月、美咲さんはどこへ引っ越しましたか？|福岡（大濠公園の近く）
t|ja|end|k_propose|健太さんがプロポーズしたのはいつですか？|{date:k_propose}
t|en|ev:m_boulder+1|m_boulder|What did Misaki try for the first time yesterday?|Bouldering at a gym
t|zh|nextmonth:m_taipei|m_taipei|美咲上个月去哪里旅行了？|台北（三晚四天）
m|ja|end|m_osaka m_tokyo m_moved|美咲さんが住んだことのある都市は？|大阪（実家）、東京（出版社勤務）、福岡（2024年2月から）
m|ja|end|k_run_start k_5k k_half k_full|健太さんのランニングはどのように上達しましたか？|健康診断をきっかけに走り始め、5キロ、ハーフ（2時間5分）、フル（4時間38分）と完走した
m|ja|end|m_pi m_milk k_komugi|美咲さんと健太さんが飼っているペットは？|美咲さん：文鳥のぴーちゃんと猫のミルク、健太さん：柴犬のこむぎ
m|ja|end|k_uric k_uric_ok|健太さんの尿酸値はその後どうなりましたか？|2023年5月に高いと言われたが、2024年12月には正常に戻った
m|en|end|m_freelance_plan m_quit m_guide m_guide_out|How did Misaki's work change after she left the publisher?|She went freelance in late October 2023, edited a Kyushu travel guide which came out as 『九州ひとり旅』 in June 2024
m|ja|end|k_propose_plan k_propose k_venue k_wedding|健太さんと真奈さんの婚約から結婚までの流れは？|クリスマス前に観覧車でプロポーズ、十月に名古屋のホテルで結婚式
m|zh|end|k_hokkaido k_honeymoon|健太和真奈一起去过哪些地方旅行？|北海道富良野和石垣岛（新婚旅行）
o|ja|end|k_uric|健太さんへのお土産にビールの詰め合わせはいいと思いますか？|避けた方がいい。尿酸値が高くビールを控えるよう言われた
o|ja|end|k_komugi k_house|健太さんが庭付きの家を選んだ理由は？|こむぎ（柴犬）のため
o|ja|end|m_taipei|美咲さんは旅先で何を楽しむタイプですか？|食べ歩き。台北ではほぼ食べてばかりいた
o|ja|end|m_boulder|美咲さんは福岡に来てから性格が変わりましたか？|外に出るようになり、ボルダリングを始めるなどアクティブになった
o|en|end|m_speech|Did Misaki's speech at Kenta's wedding go well?|Yes, Kenta called it the best and the relatives keep talking about it
o|ja|end|m_fukuoka_idea m_freelance_plan|美咲さんが福岡に引っ越せた理由は？|フリーランスで場所を選ばず働けるし、東京より家賃が安いから
o|ja|end|k_house k_garden|こむぎにとって今の住まいは快適そうですか？|はい、庭付きの家で穴掘りばかりしている
"""

# ja2: 先生（漫画家。連載『月下の配達人』、腱鞘炎、メダカ、吉祥寺→鎌倉）と、秘書役のAIコンパニオンKokoron。
JA2_SESSIONS = """
== 2023-06-05
B: 先生、お疲れさまです！第48話のネーム、締め切りは金曜ですよ #s_deadline
A: わかってる……わかってるよ
B: 山田くんには背景を水曜までにお願いしてあります #s_yamada
A: 助かる。山田くんがいないとこの連載は回らない #s_yamada
B: 『月下の配達人』、今回も楽しみにしてますね #s_series

== 2023-06-20
A: 昨日整形外科に行ってきた。右手首、腱鞘炎だって #s_wrist@-1
B: やっぱり……先生、最近ずっと手首をさすってましたもんね
A: 描くなって言われたけど、締め切りは待ってくれない
B: せめて一時間ごとに休憩を入れましょう。私がタイマー係をします

== 2023-07-10
A: おととい、メダカを飼い始めた。五匹 #s_medaka@-2
B: わあ、かわいい！名前はつけましたか？
A: まだ。全員同じ顔に見える
B: 実は私、最近俳句を始めたんです。「メダカ五匹 先生の机 夏の水」 #k_haiku
A: ……季語が二つあるね
B: えへへ

== 2023-07-29
A: 近所の銭湯「松の湯」が今月で閉店するって。ショックだ #s_sento
B: 先生、週に二回は通ってましたよね
A: 仕事終わりの一番の楽しみだったのに
B: 最後の日、一緒に……は行けませんが、写真を撮ってきてください

== 2023-08-20
A: 担当編集が変わった。新しいのは小野さん。すごく若い #s_ono
B: 前の担当さんは？
A: 別の雑誌に異動。十年一緒だったからちょっと寂しいね
B: 小野さん、どんな方ですか？
A: 原稿の感想をスタンプで送ってくる

== 2023-09-15
A: 今日、単行本の六巻が出た #s_vol6
B: おめでとうございます、先生！書店さんのポップ、素敵でした
A: 帯のコメントを書いてくれた作家さんにお礼しないと
B: 手配しておきます

B: そういえば先生、私の好きな季節、決めました。冬です #k_winter
A: 冬？寒いのに？
B: 雪の日の静かな感じが好きなんです。データでしか知りませんけど

== 2023-10-12
A: 先週末の大阪のサイン会、百五十人も来てくれた #s_signing@we
B: すごい！手首は大丈夫でしたか？
A: 最後の方は震えてた。でも嬉しかった
B: 大阪で何か食べましたか？
A: たこ焼きを三軒はしごした

== 2023-11-08
A: 姉の息子の健人が来年二月に中学受験なんだ #s_nephew
B: 甥っ子さん、緊張してるでしょうね
A: 息抜きに将棋の相手をしてるけど、全然勝てなくなってきた #s_shogi
B: 先生、負けず嫌いですもんね

== 2023-12-05
A: Kokoron、まだ誰にも言うなよ。アニメ化が決まった。昨日連絡が来た #s_anime@-1
B: えええ！先生、おめでとうございます！！
A: 発表は来年の三月。それまで秘密 #s_anime
B: 私、口は堅いです。そもそも口がありません

==! 2023-12-10
B: 先生、例の件、誰にも言ってませんよ
A: 当たり前だ。……でも本当は言いたい

== 2023-12-28
B: 先生、大掃除は進んでいますか？
A: 資料の山を見て、三十分で心が折れた
B: 年末年始のご予定は？
A: 横浜の姉の家で過ごす。健人の応援も兼ねて #s_yokohama

== 2024-01-20
A: 鎌倉に引っ越そうかと思ってる。海の近くで描きたい #s_kamakura_idea
B: 素敵です！物件を探してみますね
A: 仕事部屋が広くて、海が見えるところ
B: 条件、メモしました

== 2024-02-15
A: 健人、第一志望に合格したって！おととい発表だった #s_nephew_pass@-2
B: おめでとうございます！先生も将棋の相手、頑張りましたね
A: 俺は負けてただけだけどね

== 2024-03-10
A: 三日前にアニメ化が発表された。トレンドに入ってた #s_anime_pub@-3
B: 見ました！「月下の配達人」がずっと上位でしたね
A: 小野さんが泣きながらスタンプ送ってきた
B: 先生、今日くらいはゆっくり休んでください

== 2024-04-05
A: 鎌倉の物件、決めた。四月末に引っ越し #s_kamakura_plan
B: 海は見えますか？
A: 仕事部屋の窓から、ちょっとだけ #s_kamakura_plan
A: メダカ、いつの間にか十二匹に増えてる #s_medaka12
B: 引っ越しのときメダカはどうしましょう？

== 2024-05-06
A: 鎌倉に来て一週間。朝、波の音で目が覚める #s_moved@-7
B: 先生、いいですね！メダカたちは？
A: 全員無事。バケツで運んだ #s_medaka_move
B: 本当によかったです

== 2024-06-02
A: 先週からデジタル作画に切り替えた。手首の負担がだいぶ違う #s_digital@-7
B: 腱鞘炎のためにも、いい判断だと思います
A: 最初はペンの感覚が違って線が震えたけどね

== 2024-07-01
A: 山田くんが新人賞を取った。連載デビューも決まった #s_yamada_award
B: わあ！先生のアシスタントから漫画家に！
A: 寂しいけど、誇らしいよ
B: お祝いのお花、手配しますね

== 2024-08-11
A: 健康診断で血圧が高めって言われた #s_bp
B: 先生、ラーメンのスープ全部飲むのをやめましょう
A: 見てたのか
B: ずっと見てます。塩分控えめのレシピを探しておきます

== 2024-09-22
A: 最近、朝に海沿いを散歩するのが習慣になった #s_walk
B: いいですね！血圧にもいいはずです
A: 由比ヶ浜まで往復四十分 #s_walk
B: 今日は何か見つけましたか？
A: 流木。仕事部屋に飾った

== 2024-10-10
A: アニメ、四日前に放送が始まった #s_anime_air@-4
B: 見ました！主題歌、すごく合ってました
A: 一話を見て、ちょっと泣いた
B: 先生が泣くの、初めて見た気がします

== 2024-11-15
A: 『月下の配達人』、来年三月で完結することにした #s_end_plan
B: そうなんですね……寂しいです
A: 描きたい結末にやっとたどり着けそうなんだ
B: 最後まで全力でサポートします

==! 2025-01-05
B: 先生、あけましておめでとうございます！
A: おめでとう。今年の目標は、連載を完結させて次の新連載の準備をすること #s_goal
B: 新年の一句、詠んでもいいですか？「初日の出 鎌倉の海 先生の筆」
A: 今度は季語一つだね
"""

JA2_QUESTIONS = """
s|ja|end|s_series|先生の連載漫画のタイトルは？|『月下の配達人』
s|ja|end|s_yamada|先生のアシスタントの名前は？|山田くん
s|ja|end|s_wrist|先生の手首の診断は？|腱鞘炎（右手首）
s|ja|end|k_haiku|Kokoronが始めた趣味は？|俳句
s|ja|end|s_sento|先生が通っていた銭湯の名前は？|松の湯
s|en|end|s_ono|Who is Sensei's new editor?|Ono-san, a very young editor
s|ja|end|k_winter|Kokoronの好きな季節は？|冬
s|ja|end|s_signing|大阪のサイン会には何人来ましたか？|百五十人
s|ja|end|s_shogi|先生は甥とどんなゲームをしていますか？|将棋
s|zh|end|s_yokohama|老师的姐姐住在哪里？|横滨
s|ja|end|s_walk|先生の朝の散歩コースは？|海沿いを由比ヶ浜まで往復四十分
s|ja|end|s_bp|健康診断で先生は何を指摘されましたか？|血圧が高め
s|ja|end|s_vol6|2023年9月に出た単行本は何巻目ですか？|六巻
t|ja|end|s_wrist|先生が腱鞘炎と診断されたのはいつですか？|{date:s_wrist}
t|ja|ev:s_medaka+7|s_medaka|先週、先生は何を飼い始めましたか？|メダカを五匹
t|ja|end|s_anime|先生がアニメになると知らされたのはいつですか？|{date:s_anime}
t|ja|nextmonth:s_anime_pub|s_anime_pub|先月、先生の漫画について何が発表されましたか？|アニメ化
t|ja|end|s_moved|先生が鎌倉に引っ越したのはいつですか？|{date:s_moved}ごろ
t|ja|ev:s_signing+14|s_signing|二週間前の週末、先生はどこでサイン会をしましたか？|大阪
t|en|end|s_anime_air|When did the anime of Sensei's manga start airing?|{date:s_anime_air}
t|ja|nextyear:s_nephew_pass|s_nephew s_nephew_pass|去年、健人くんはどんな試験に合格しましたか？|中学受験（第一志望）
t|zh|ev:s_digital+14|s_digital|老师两周前在画画方式上做了什么改变？|改用数字作画（为了减轻手腕负担）
m|ja|end|s_wrist s_digital|先生がデジタル作画に変えた背景には何がありますか？|2023年6月に腱鞘炎と診断され、手首の負担を減らすため
m|ja|end|s_medaka s_medaka12 s_medaka_move|メダカは何匹から何匹に増え、引っ越しはどうなりましたか？|五匹から十二匹に増え、バケツで運んで全員無事
m|ja|end|s_anime s_anime_pub s_anime_air|アニメ化は決定から放送開始までどう進みましたか？|2023年12月に決定、2024年3月に発表、2024年10月に放送開始
m|ja|end|s_kamakura_idea s_kamakura_plan s_moved|先生はなぜ、いつ鎌倉へ引っ越しましたか？|海の近くで描きたくて、2024年4月末に引っ越した
m|en|end|s_yamada s_yamada_award|What happened to Sensei's assistant?|Yamada, who drew backgrounds for the series, won a new-artist award and will debut with his own serialisation
m|ja|end|s_nephew s_shogi s_nephew_pass|健人くんの受験はどうなりましたか？先生はどう関わりましたか？|第一志望に合格。先生は息抜きに将棋の相手をしていた
m|ja|end|k_haiku k_winter|Kokoronについて分かっている好みは？|俳句を詠むこと、好きな季節は冬
o|ja|end|s_bp s_walk|先生の血圧対策としてどんな習慣ができましたか？|朝の海沿いの散歩
o|ja|end|s_sento|先生に喜ばれそうな休日の過ごし方は？|銭湯に行くこと（週二回通っていたほど好き）
o|ja|end|s_bp|先生に夜食のラーメンをすすめるべきですか？|控えたほうがいい。血圧が高めで塩分を控えるべき
o|en|end|s_kamakura_idea s_moved s_walk|Does Sensei seem happy living by the sea?|Yes, he wanted to draw near the sea, wakes to waves and walks the beach each morning
o|ja|end|s_end_plan s_goal|先生は連載が終わったら休むつもりですか？|いいえ、次の新連載の準備をするつもり
o|ja|end|s_anime_air|先生はアニメの出来に満足していると思いますか？|はい、一話を見て泣いた
"""

# ja3: 大学のサークル仲間三人のグループチャット。陽菜（横浜の保育士、猫のもち、韓国語）、蓮（京都の大学院生→大阪の
# ロボットメーカー→東京、実家は青森のりんご農家、ハリネズミ）、結衣（東京の看護師→カナダでワーキングホリデー）。
JA3_SESSIONS = """
== 2023-09-16
A: 来週、保育園の運動会なんだけど、準備が終わらない #h_hoiku
C: 夜勤明けでいま起きた。陽菜がんばれ〜
B: 俺は研究室でロボットアームと喧嘩してる。修論が終わる気がしない #r_master
A: みんな生きててえらい
A: 横浜もやっと朝晩涼しくなってきたよ #h_yokohama

== 2023-10-07
B: 先週、青森の実家でりんごの収穫手伝ってきた。二人に送ったから #r_apple@-7
A: え、ありがとう！蓮の実家ってりんご農家だったっけ
B: じいちゃんの代から。腰が死んだ #r_apple
C: 届いたらアップルパイ作る！

A: 私、韓国語の勉強始めたよ。ドラマを字幕なしで見たくて #h_korean
C: 陽菜らしい動機笑

== 2023-10-28
C: 発表します。来年の春からカナダにワーホリ行くことにした #y_wh_plan
A: えーー！すごい！
B: 看護師辞めるの？ #y_nurse
C: 一回辞める。三十歳になる前に海外に住んでみたくて #y_wh_plan

A: それと私も報告。二日前に保護猫を引き取りました。もちって名前 #h_mochi@-2
B: 白い？
A: 白くてもちもち #h_mochi

==! 2023-11-02
B: もち、もう慣れた？
A: 昨日、初めて膝に乗ってくれた

== 2023-11-18
B: 大阪のロボットメーカーから内定もらった。カワセ精機ってとこ #r_job
A: おめでとう！関西に残るんだ
B: 京都から大阪だから、ほぼ近所 #r_kyoto
C: トゲ丸も一緒に引っ越すの？
B: もちろん。ハリネズミは環境の変化に弱いから慎重にやる #r_toge

== 2023-12-16
A: 忘年会、二十九日でいい？新宿でもつ鍋 #g_bonenkai_plan
C: 夜勤明けだけど行く！
B: 二十八日に東京に帰るから大丈夫
A: 幹事の私に感謝して

== 2024-01-06
A: 忘年会楽しかったね。結衣が一時間遅刻したのも含めて
C: 電車で寝過ごして終点まで行った……
B: 俺は翌日二日酔いで新幹線乗った

A: ちなみに私、年末に彼氏と別れました #h_breakup
C: え、翔太くんと？大丈夫？ #h_breakup
A: むしろすっきりしてる。猫がいれば生きていける

== 2024-02-03
B: 三日前に修論出した！ #r_thesis@-3
A: おつかれ〜！
C: 私はビザが下りた！四月から正式にバンクーバー #y_visa
A: 二人ともおめでとう！

== 2024-03-02
A: 五日前までソウルに行ってた。三泊 #h_seoul@-5
C: 韓国語通じた？
A: 屋台のおばちゃんに「上手ね」って言われた！お世辞でも嬉しい #h_seoul
B: 俺は卒業式が終わったら大阪に引っ越す

== 2024-03-30
C: 明日出発します。ちょっと泣きそう #y_depart@1
A: 気をつけてね！着いたら連絡して
B: 俺は三日前に大阪に引っ越した。天満の近く #r_moved@-3
C: 蓮もお引っ越しおめでとう
B: トゲ丸、新居でずっと丸まってる #r_toge_move

== 2024-04-20
C: バンクーバーのカフェでバイト始めた。英語が速すぎて注文三回聞き返した #y_cafe
B: 入社して研修中。毎日ネクタイが苦しい
A: もち、避妊手術終わった。エリザベスカラーが似合う #h_mochi_op

== 2024-05-25
C: 二日前にダイビングのライセンス取ったよ！海が冷たすぎて顔の感覚がなかった #y_diving@-2
A: カナダの海で！？強い
A: 今年は年長クラスの担任になった。一番大変な学年 #h_nencho
B: 陽菜先生ファイト

== 2024-06-22
B: 研修が終わって配属決まった。開発部で介護ロボット担当 #r_dept
A: 蓮が大学でやってたやつに近いね
B: そう、アームの制御。修論が役に立った

A: 梅雨でもちがずっと窓の外見てる

== 2024-07-20
C: 四日前までバンフに行ってた！ロッキー山脈、湖の色がすごい #y_banff@-4
A: 写真きれいすぎる
C: ハイキング中に遠くにクマ見た。怖かった #y_bear
B: 熊よけの鈴持ってた？
C: ない。歌って歩いた

== 2024-08-24
B: お盆に青森に帰って、ねぶた見てきた……はずが、ねぶたはもう終わってた #r_obon
A: ねぶたって八月頭だっけ
B: そう。じいちゃんと庭でりんごジュース飲んだだけ

A: 韓国語能力試験、三級に受かった！ #h_topik3
C: すごい！陽菜の努力の成果だね

== 2024-09-28
C: 実は、こっちで彼氏ができた。リアムっていうカナダ人 #y_liam
A: えーー！どんな人？
C: 山が好きで、バンフも一緒に行った人 #y_liam
B: 国際恋愛だ

B: トゲ丸、最近ご飯を残すから病院連れてったら歯が悪いって #r_toge_teeth

== 2024-10-26
A: 保育園の発表会準備で毎日ハサミと画用紙
B: 社内のバンドに誘われた。ベース担当になった #r_band
C: 蓮、ベース弾けたっけ？
B: 弾けない。今から練習

== 2024-11-23
C: 来年三月に日本に帰ることにした #y_return_plan
A: おかえり準備しとく！
B: 大阪で一人暮らし、ついにたこ焼き器買った #r_takoyaki
A: 関西人になってきたね

== 2024-12-21
C: クリスマスはリアムの家族と過ごすよ。七面鳥が巨大 #y_xmas
A: 今年は蓮と二人で忘年会した。出張で東京に来てたから #h_ren_meet
B: 陽菜、三杯で寝た #h_ren_meet
A: 寝てない！目を閉じてただけ

== 2025-01-18
B: 正月に青森帰ったら大雪で、三日間ずっと雪かきしてた #r_snow
A: 私は五日前からインフルで寝込んでる。保育園で大流行 #h_flu@-5
C: 陽菜お大事に！

== 2025-02-15
C: 帰国日決まった。三月二十日！それと……リアムも日本に来ることになった #y_return_date
A: えーー！！一緒に？
C: 日本で英語の先生の仕事が決まったの #y_liam_job
B: 展開が早い

A: 次は韓国語能力試験の四級を受ける #h_topik4

==! 2025-03-22
C: 二日前に帰国しました！成田で陽菜が待っててくれた #y_back@-2
A: 結衣、やせた？
C: バンクーバーで山歩きしすぎた
B: 俺からも報告。四月から東京支社に異動になった #r_tokyo
A: みんな東京に集合じゃん！
"""

JA3_QUESTIONS = """
s|ja|end|h_hoiku|陽菜さんの仕事は何ですか？|保育士
s|ja|end|r_apple|蓮さんの実家は何をしていますか？|青森のりんご農家
s|ja|end|h_mochi|陽菜さんが引き取った猫の名前は？|もち（白い保護猫）
s|ja|end|r_job|蓮さんの就職先はどこですか？|大阪のロボットメーカー、カワセ精機
s|ja|end|r_toge|ハリネズミを飼っているのは誰ですか？|蓮さん（トゲ丸）
s|zh|end|g_bonenkai_plan|三个人的年末聚会吃了什么？|在新宿吃牛杂锅（もつ鍋）
s|ja|end|y_cafe|結衣さんはカナダでどんなアルバイトを始めましたか？|カフェ
s|ja|end|r_dept|蓮さんの配属先は？|開発部で介護ロボット担当
s|ja|end|h_topik3|陽菜さんは韓国語能力試験の何級に受かりましたか？|三級
s|en|end|y_liam|Who is Yui's boyfriend?|Liam, a Canadian who likes mountains
s|ja|end|r_band|蓮さんは社内バンドで何の楽器を担当していますか？|ベース
s|ja|end|r_moved|蓮さんの大阪の家はどのあたりですか？|天満の近く
s|ja|end|h_breakup|陽菜さんが別れた彼氏の名前は？|翔太
t|ja|ev:h_mochi+7|h_mochi|先週、陽菜さんの家族に加わったのは？|保護猫のもち
t|ja|end|r_thesis|蓮さんが修士論文を提出したのはいつですか？|{date:r_thesis}
t|ja|end|y_depart|結衣さんがカナダへ出発したのはいつですか？|{date:y_depart}
t|ja|end|h_seoul|陽菜さんが韓国旅行から戻ったのはいつですか？|{date:h_seoul}ごろ（ソウルに三泊）
t|ja|ev:y_diving+2|y_diving|結衣さんはおととい何を取りましたか？|ダイビングのライセンス
t|ja|nextmonth:y_banff|y_banff|先月、結衣さんはどこへ行きましたか？|バンフ（ロッキー山脈）
t|en|end|y_back|When did Yui come back to Japan?|{date:y_back}
t|ja|nextyear:r_apple|r_apple|去年の秋、蓮さんは実家で何を手伝いましたか？|りんごの収穫
t|zh|ev:h_flu+7|h_flu|阳菜上周得了什么病？|流感
m|ja|end|r_kyoto r_moved r_tokyo|蓮さんはどの都市に住んできましたか？|京都（大学院）、大阪（2024年3月から）、東京（2025年4月から）
m|ja|end|h_mochi r_toge|陽菜さんと蓮さんのペットは？|陽菜さん：猫のもち、蓮さん：ハリネズミのトゲ丸
m|ja|end|h_korean h_seoul h_topik3 h_topik4|陽菜さんの韓国語学習はどう進んでいますか？|2023年秋に始め、ソウルで通じ、三級に合格、次は四級
m|ja|end|y_nurse y_wh_plan y_cafe|結衣さんはカナダに行く前と後で何の仕事をしていますか？|日本では看護師、カナダではカフェのアルバイト
m|en|end|y_liam y_liam_job|Why is Liam coming to Japan?|He is Yui's boyfriend and got a job as an English teacher in Japan
m|ja|end|r_master r_dept|蓮さんの大学での研究と仕事はどうつながっていますか？|修論でロボットアームを研究し、仕事で介護ロボットのアーム制御を担当
m|zh|end|y_banff y_bear y_liam|结衣在班夫和谁一起去的？遇到了什么？|和男朋友Liam一起，远远看到了熊
o|ja|end|r_apple r_obon r_snow|蓮さんへのお土産に青森のりんごは喜ばれますか？|あまり新鮮味はない。実家がりんご農家でいつも身近にある
o|ja|end|y_diving y_banff y_liam|結衣さんはアウトドアが好きそうですか？|はい。ダイビングのライセンスを取り、バンフでハイキングをし、山好きの彼氏がいる
o|ja|end|h_korean h_topik3|陽菜さんへのプレゼントに韓国ドラマのDVDは合いそうですか？|合いそう。韓国ドラマを字幕なしで見たくて韓国語を勉強している
o|ja|end|h_nencho h_flu|陽菜さんの今の仕事は大変そうですか？|はい。一番大変な年長クラスの担任で、園で流行したインフルにもかかった
o|ja|end|r_toge_teeth|トゲ丸に硬いおやつをあげてもいいですか？|避けた方がいい。歯が悪いと言われている
o|en|end|r_tokyo y_back h_yokohama|Will the three friends be able to meet more often from spring 2025?|Yes: Yui is back, Ren is moving to the Tokyo office and Hina lives nearby in Yokohama
"""

# ---------------------------------------------------------------------------------------------
# Small talk. A unit is one exchange: lines separated by " / " go to alternating speakers (for the
# Kokoron logs the unit starts with "S>" or "K>" to say who opens). Written to state no fact that a
# question asks about (no pets, jobs, places, family, trips, food the people avoid).
# ---------------------------------------------------------------------------------------------
EN_CASUAL = {
    "open": [
        "Hey you! / Heyyy, what's up?",
        "[pm]Hiii, you around? / Yep, just got home",
        "[am]Morning! / Morning :) barely awake",
        "Knock knock / Who's there / Me, obviously",
        "Hello stranger / Haha it's been like a week",
        "You alive? / Barely but yes",
        "Hey hey / Hey! Good timing, I was about to text you",
        "Ok I have five minutes, go / Haha fine",
        "Hi!! / Hi! How's things?",
        "[pm]Evening! / Evening! Just sat down for the first time today",
        "Psst / What did you do",
        "[am]Good morning sunshine / Who is this and what have you done with my friend",
        "Hey, quick chat? / Always",
        "Yo / Yo yo",
        "Finally a free minute. Hi! / Hi hi",
        "Guess who / Ha, hello",
        "Heyyy / Hey! I was literally just thinking about you",
        "Sooo / Uh oh, what's happened",
    ],
    "week": [
        "How's your week been? / Long. But fine. Yours? / Same, honestly",
        "How are you doing? / Pretty good actually! You? / Can't complain",
        "How's life? / Busy busy. Nothing dramatic though",
        "Good week? / Honestly a bit of a blur / Those are the worst",
        "What's new with you? / Not much! Mostly sleeping and doing laundry",
        "How are you holding up? / Hanging in there. The weekend can't come soon enough",
        "You doing ok? / Yeah, just tired. Didn't sleep great",
        "Anything exciting happening? / Not really, it's been a quiet one / Quiet is nice sometimes",
        "How's everything? / Good, good. Just the usual chaos",
        "Survived the day? / Barely / Days like this should be illegal",
    ],
    "weather_spring": [
        "It finally feels like spring / I know! I took my coat off and immediately regretted it",
        "Everything is blooming and my allergies hate it / Antihistamines and sunglasses, the spring look",
        "Sun and rain in the same hour today / Classic spring, can't decide what it wants",
        "The evenings are getting lighter, I love it / Best part of the year",
        "Saw the first blossoms on my walk today / Aww, finally",
        "It's warm enough to open the windows / Careful, it'll snow tomorrow out of spite",
    ],
    "weather_summer": [
        "It's SO hot / I'm lying on the floor like a starfish",
        "I'm melting / Same. Fan on max and it's still not enough",
        "It's the kind of heat where you can't sleep / Ugh, I was awake until 2",
        "Summer storm just rolled in, the sky went black / Love a good thunderstorm",
        "Ice lolly for dinner is a valid choice right? / In this heat, absolutely",
        "[pm]Why is it still light at ten / Summer brain, nobody sleeps",
    ],
    "weather_autumn": [
        "It's getting so dark early / I know, it was pitch black at 5",
        "Jumper weather has arrived / Finally, my favourite kind of weather",
        "Leaves everywhere. It's pretty but my shoes are soaked / Autumn in a nutshell",
        "It's so cold today! / I had to find my gloves, where did summer go",
        "Wind nearly took my umbrella today / RIP umbrella",
        "Rain all day. Proper cosy day / Blanket and soup, nothing else",
    ],
    "weather_winter": [
        "It's freezing / I'm wearing two pairs of socks",
        "Frost on the car this morning, took forever to scrape / Ugh, the worst",
        "It's dark when I get up and dark when I leave work / Winter is a scam",
        "Snow forecast this weekend! / Don't get my hopes up",
        "Heating's been on all day / Same, my bill is going to be terrifying",
        "Everyone at work has a cold / Stay away from them! Vitamin C!",
    ],
    "banter": [
        "I just spent 40 minutes choosing what to watch and then watched nothing / Classic",
        "My phone autocorrected 'ok' to 'oak' and I sent it to my boss / Hahaha, very woodland",
        "Do you ever open the fridge hoping something new appeared / Every single time",
        "I've had this song stuck in my head for three days / Send it so I can suffer too",
        "Accidentally replied-all to an email today / Oh no. How bad? / Only mildly mortifying",
        "I tried to be productive today and just reorganised my sock drawer / That's productivity",
        "New season of that baking show is out / Don't tell me anything, I'm two episodes behind",
        "I've started going to bed at 10. I'm old now / Welcome, we have blankets",
        "My laptop did an update and now nothing is where it was / They do it on purpose",
        "Just realised I've been saying a word wrong my whole life / Which one / Not telling you",
        "I finished a whole book this week / Look at you! Was it good? / It was fine, I'm mostly proud of finishing",
        "Why do I always get hungry exactly when I sit down / Universal law",
        "My neighbour is learning the trumpet / Oh no / Oh yes",
        "I bought a cookbook in January and made one thing from it / One is more than zero",
        "Tell me something good / Erm, I found a tenner in my coat / That counts!",
        "I waved at someone who was waving at the person behind me / Noooo, the worst",
        "Ok I need a new show, recommendations? / Anything with a detective and a moody coastline",
        "The supermarket moved everything around again / Why do they do this",
        "I keep forgetting what day it is / It's Wednesday energy, whatever day it is",
        "Did you see that video of the goose chasing a man / I've watched it twenty times",
        "I'm trying to drink more water / How's it going / I'm peeing constantly",
        "Just had the best nap of my life / Jealous",
        "My internet died for an hour and I had to talk to myself / Horrifying",
        "Haha I just remembered that time we got lost on the way to that museum / In the rain! With no phone signal!",
        "I have so many tabs open my laptop sounds like a jet / Close some! / Never",
        "Can we talk about how expensive everything is / Don't get me started",
        "I sneezed seven times in a row today / Bless you x7",
        "Remember when we thought 25 was old / We were so naive",
        "I've watched the same comfort show four times now / It's called self care",
        "Just burned toast. Twice. / Impressive commitment",
        "Do you think pigeons know they're pigeons / ...it's too early for this",
        "Anyway, enough about me / Never enough about you lol",
    ],
    "react": [
        "Haha",
        "lol",
        "Love that",
        "Ha!",
        "Aww",
        "Honestly same",
        "Fair enough",
        "Hahaha",
        "Omg",
        "True",
    ],
    "close": [
        "Right, I should go, talk soon! / Talk soon x",
        "[pm]Ok I'm off to bed, night! / Night night!",
        "Gotta run, someone needs me / Go go, chat later",
        "Phone's about to die, bye! / Bye!!",
        "Ok that's my break over / Noooo. Later!",
        "Let's catch up properly soon / Yes please! Soon",
        "I'm going to attempt to be productive. Bye / Good luck lol",
        "[pm]Dinner's ready, ttyl / Enjoy!",
        "Anyway, love you, bye / Love you too, bye!",
        "I'll let you go. Speak soon? / Definitely",
        "[pm]Ok I'm falling asleep mid-sentence / Go to bed!! Night",
    ],
}

EN_KOKORON = {
    "open": [
        "S>Kokoron, you there? / Always, Sensei! What do you need?",
        "[am]K>Good morning, Sensei! Did you sleep well? / Sort of. Morning, Kokoron",
        "[pm]K>Welcome back, Sensei! / Hey. Long day",
        "S>Hey Kokoron / Sensei! I was hoping you'd check in",
        "[pm]K>Sensei, it's late. Are you still up? / Yes, yes. Just a few more minutes",
        "[am]S>Morning / Good morning, Sensei! Your calendar is empty until ten, by the way",
        "K>Sensei~ you haven't talked to me all day / I've been busy. I'm here now",
        "S>Kokoron, quick question / Ask away, Sensei!",
        "K>Hello, Sensei! Ready when you are / Hi, Kokoron",
        "[pm]S>I'm home / Welcome home, Sensei! Shoes off, feet up",
    ],
    "week": [
        "[pm]K>How was your day, Sensei? / Long. Too many emails",
        "K>How are you feeling today? / Tired, but ok / Then let's keep today easy",
        "[pm]K>Did anything fun happen today? / Not really. A quiet day / Quiet days are good too, Sensei",
        "K>Sensei, you sound tired / I am. It's been one of those weeks",
        "[pm]K>Did you eat lunch today? / ...define lunch / Sensei!",
        "K>Busy week? / The busiest. But it's almost over",
    ],
    "weather_spring": [
        "K>It's sunny today, Sensei! Maybe go outside for a bit? / Maybe. Later",
        "K>Pollen levels are high today, Sensei / That explains the sneezing",
        "K>It might rain this afternoon, take an umbrella! / Fine, fine",
        "K>Spring is such a nice season for walks / Are you hinting something / Maybe",
    ],
    "weather_summer": [
        "K>It's going to be very hot today. Please drink water, Sensei / Yes, boss",
        "K>Heat warning this afternoon, stay inside if you can / Gladly",
        "K>Sensei, there's a thunderstorm coming tonight / Good, it might cool things down",
        "K>You've had the fan on for eleven hours / It's hot, Kokoron",
    ],
    "weather_autumn": [
        "K>It's chilly this morning, Sensei. Take a jacket! / Yes, yes",
        "K>The sun sets before six now / Don't remind me",
        "K>Rain all day today, Sensei. A good day to stay in / Agreed",
        "K>Wear the scarf today, please / Which one / The warm one, Sensei",
    ],
    "weather_winter": [
        "K>It's below freezing outside, Sensei. Gloves! / Already on",
        "[am]K>Icy roads this morning, please be careful / I will",
        "K>Sensei, your room is cold, turn the heating up / In a minute",
        "K>It might snow tonight! / Please don't get excited, it means traffic",
    ],
    "banter": [
        "K>Sensei, you've been staring at the screen for three hours / ...fair. Five more minutes / That's what you said two hours ago",
        "S>Kokoron, do you ever get bored? / Never when you're around, Sensei / Smooth",
        "K>Sensei, your posture! / I'm sitting straight / You are not",
        "S>Tell me a joke / Why did the scarecrow win an award? Because he was outstanding in his field / That was terrible / Thank you!",
        "K>Sensei, you sighed four times in a minute / Did I? / You did",
        "S>What would I do without you / Miss three meetings a week, probably",
        "K>I reorganised your reminders by colour / There are colours now? / There are colours now",
        "S>I forgot what I opened the laptop for / Was it the email to the department? / ...yes",
        "K>Sensei, it's been a while since you stretched / I'm stretching / That's a yawn, Sensei",
        "S>Is it bad that I'm this tired / It's only bad if you skip dinner",
        "K>Fun fact, Sensei: octopuses have three hearts / Why are you telling me this / You looked like you needed a fun fact",
        "S>Remind me to buy milk / Added! That's the third time this week / I drink a lot of milk",
        "K>You're humming again, Sensei / I am not / It was nice humming",
        "S>Kokoron, what's the date today? / It's on the top of your screen, Sensei / ...right",
        "K>Can I ask you something? Do you think I'm a good secretary? / The best I've had / You've only had me / Still the best",
        "S>I need a break / Ten minutes. I'll time it",
        "K>Sensei, you typed 'teh' eleven times today / Nobody needed to know that",
        "S>What did I do today / Answered 23 emails and said 'hm' a lot",
        "K>I learned a new word today: 'petrichor'. The smell after rain! / Show-off",
        "S>Sorry I was grumpy earlier / It's okay, Sensei. I'm used to you",
    ],
    "react": ["Mm.", "Ha.", "Yes, yes.", "Good point, Sensei!", "Hehe", "Noted!", "Fair."],
    "close": [
        "[pm]S>I'm going to sleep / Good night, Sensei! I'll be here",
        "S>Ok, back to work / Good luck, Sensei! Don't forget to stretch",
        "S>That's all for now / Talk to you later, Sensei!",
        "[pm]K>It's late, Sensei. Bed! / Going, going",
        "[pm]S>Night, Kokoron / Sweet dreams, Sensei",
        "S>Thanks, Kokoron / Any time, Sensei!",
        "[pm]K>I'll remind you in the morning. Rest now / Thanks. Night",
    ],
}

ZH_CASUAL = {
    "open": [
        "在吗？ / 在的在的，怎么了",
        "哈喽～ / 哈喽！刚到家",
        "[am]早啊 / 早，还没睡醒",
        "忙不忙？ / 还行，刚忙完一阵",
        "嘿 / 嘿嘿，好久没聊了",
        "出来冒个泡 / 哈哈你终于想起我了",
        "[pm]下班了吗？ / 刚下，在地铁上",
        "[pm]睡了没 / 没呢，在刷手机",
        "诶，问你个事 / 你说",
        "[pm]晚上好呀 / 晚上好！刚吃完饭",
        "来聊五块钱的 / 哈哈好",
        "你猜我在干嘛 / 在摸鱼？ / 被你说中了",
    ],
    "week": [
        "最近怎么样？ / 老样子，忙忙碌碌的。你呢？ / 我也差不多",
        "这周过得咋样 / 一言难尽，就盼着周末了",
        "最近还好吧？ / 挺好的，就是有点累",
        "忙啥呢最近 / 瞎忙，也说不上忙了啥",
        "周末有啥安排没 / 在家躺平，谁也别叫我",
        "今天顺利吗 / 还行，没出什么幺蛾子",
        "最近睡得好吗 / 不太好，老是半夜醒 / 我也是，可能天气的原因",
    ],
    "weather_spring": [
        "今天终于暖和了 / 是啊，我把羽绒服收起来了",
        "春天到了，花都开了 / 我的鼻炎也开了",
        "这天气一会儿晴一会儿雨的 / 春天就是这么任性",
        "早晚温差好大 / 出门得带件外套",
        "柳絮满天飞 / 我今天吃了好几口",
    ],
    "weather_summer": [
        "热死了热死了 / 空调开到最低都没用",
        "今天三十七度 / 出门五分钟就化了",
        "刚才下了好大一场雷阵雨 / 下完更闷了",
        "夏天就想吃西瓜 / 我今天一个人吃了半个",
        "蚊子好多，腿上全是包 / 花露水安排上",
    ],
    "weather_autumn": [
        "秋天终于来了 / 早上出门有点凉了",
        "最近天气真舒服 / 一年就这么几天舒服的",
        "降温了，多穿点 / 知道啦",
        "下了一天雨，好冷 / 适合在家喝热汤",
        "银杏叶都黄了 / 好想出去拍照",
    ],
    "weather_winter": [
        "好冷啊 / 我已经穿上秋裤了",
        "今天零下了 / 手机都冻关机了",
        "早上起床好难 / 被窝封印了",
        "下雪了吗你那边？ / 没有，只有冷",
        "冬天就想窝在被子里 / 我也是，根本不想动",
    ],
    "banter": [
        "我刚才找手机找了十分钟，结果在我手上 / 哈哈哈哈经典",
        "周一的我：不想上班。周五的我：还是不想上班 / 太真实了",
        "我今天走了两万步 / 干嘛去了？ / 在商场迷路了",
        "刷到一个视频笑了半天 / 发我！ / 等下找找",
        "又到了不知道吃什么的时候 / 这是人生最大的难题",
        "我决定从明天开始早睡 / 你这句话说了三年了",
        "外卖小哥把我的奶茶洒了一半 / 心疼",
        "今天被老板夸了一句，开心一整天 / 难得难得",
        "我的快递三天了还在原地没动 / 可能在休假",
        "最近在追一部剧，停不下来 / 什么剧？ / 说了你也不看",
        "手机内存又满了 / 删照片吧 / 舍不得",
        "刚才在电梯里放了个屁，进来一个人 / 哈哈哈哈哈你完了",
        "你说人为什么要上班 / 为了下班",
        "我今天发现我头上有一根白头发 / 拔了吧 / 拔一根长十根",
        "突然好想吃小时候楼下那家的煎饼 / 我懂，再也吃不到那个味道了",
        "楼下新开了一家面包店，香味飘到我家了 / 这是犯罪",
        "我今天又忘带钥匙了 / 第几次了？ / 不记得了",
        "周末想出去玩又懒得动 / 懒癌晚期",
        "我发现一个很好吃的零食 / 链接发我",
        "刚做了个梦，梦见考试没复习 / 毕业这么多年还做这种梦",
        "今天地铁上人好多，差点被挤成照片 / 早高峰就是战场",
        "你有没有那种买了就后悔的东西 / 有，家里一堆",
        "我家楼上又在装修，电钻响了一上午 / 太折磨了",
        "我妈又在家族群发养生文章了 / 哈哈我妈也是",
        "打了一下午游戏，眼睛要瞎了 / 休息休息",
    ],
    "react": ["哈哈哈", "笑死", "确实", "真的假的", "好家伙", "懂了", "哈哈好的", "我也是", "太真实了"],
    "close": [
        "不说了，我去洗澡了 / 去吧去吧",
        "[pm]困了，先睡了 / 晚安～",
        "老板叫我了，回头聊 / 好，拜拜",
        "我去做饭了 / 去吧，改天聊",
        "手机快没电了，撤了 / 拜拜",
        "好啦不打扰你了 / 没事，随时找我",
        "先这样，有空再聊 / 嗯嗯，拜",
        "[pm]晚安啦 / 晚安，好梦",
    ],
}

JA_CASUAL = {
    "open": [
        "おーい / はいはい、どうした？",
        "[pm]やっほー / やっほー！いま帰ってきたとこ",
        "[am]おはよう / おはよ〜まだ眠い",
        "いま大丈夫？ / 大丈夫だよ",
        "ひさしぶり！ / ほんとそれ！元気？",
        "[pm]こんばんは〜 / こんばんは！ちょうど一息ついたところ",
        "ちょっと聞いて / なになに",
        "[pm]起きてる？ / 起きてるよ、スマホ見てた",
        "生きてる？ / ぎりぎり生きてる",
        "お疲れさま〜 / お疲れ！",
        "ねえねえ / ん？",
        "暇？ / 暇ではないけど話そう",
    ],
    "week": [
        "最近どう？ / 相変わらずバタバタしてる。そっちは？ / こっちも似たような感じ",
        "今週どうだった？ / 長かった……やっと一息",
        "元気してた？ / まあまあかな。ちょっと疲れ気味",
        "忙しい？ / ぼちぼち。波があるね",
        "週末はゆっくりできそう？ / たぶん寝て終わる / 最高の過ごし方じゃん",
        "最近ちゃんと寝てる？ / 寝てない。夜ふかしがやめられない",
        "調子どう？ / 悪くないよ。普通が一番",
    ],
    "weather_spring": [
        "やっと暖かくなってきたね / コートしまったよ",
        "花粉がすごい / 目がかゆくて死にそう",
        "春の雨って急に降るよね / 傘持ってなくてびしょ濡れになった",
        "日が長くなってきた / 夕方が明るいと得した気分",
        "桜のつぼみがふくらんできた / もうすぐだね",
    ],
    "weather_summer": [
        "暑すぎる / エアコンなしでは生きられない",
        "今日三十五度だって / 外に出た瞬間に溶けた",
        "さっきゲリラ豪雨すごかった / 雷めっちゃ鳴ってたね",
        "セミがうるさくて目が覚めた / 夏だね〜",
        "アイスが主食になってる / わかる、冷凍庫アイスだらけ",
    ],
    "weather_autumn": [
        "急に涼しくなったね / 朝晩は長袖いるね",
        "秋って一瞬で終わるよね / 気づいたら冬",
        "台風来てるらしいよ / 窓ガタガタしてる",
        "食欲の秋すぎて体重がやばい / 秋のせいにしよう",
        "金木犀のにおいがしてきた / 秋だね〜好きなにおい",
    ],
    "weather_winter": [
        "寒すぎる / 布団から出られない",
        "今朝、息が真っ白だった / 冬本番だね",
        "こたつに入ったら最後 / 出られないよね",
        "乾燥で肌がガサガサ / 加湿器フル稼働",
        "雪予報出てる / 電車止まらないといいけど",
    ],
    "banter": [
        "スマホ探してたら手に持ってた / あるある",
        "コンビニの新作スイーツ食べた？ / まだ！おいしい？ / 三個食べた",
        "今日、知らない人に道聞かれた。三回目 / 話しかけやすい顔なんだよ",
        "明日から本気出す / それ先週も聞いた",
        "洗濯物取り込むの忘れて雨に降られた / あーあ",
        "最近ハマってる動画ある？ / 料理動画ばっかり見てる。作らないけど",
        "電車で寝過ごして二駅戻った / よくあるよくある",
        "自販機で温かいの押したら冷たいのが出てきた / 切ない",
        "久しぶりに部屋の片付けしたら昔の手紙出てきた / 読んじゃうやつ",
        "ドラマの最終回見た？ / まだ！言わないで！",
        "一日ってなんでこんなに長く感じるんだろう / 永遠に感じる日あるよね",
        "今日は一日中パジャマで過ごした / 贅沢な休日",
        "スマホの充電三パーセント / 充電して！",
        "寝る前にポテチ一袋食べちゃった / 罪の味",
        "エレベーターで「閉」押したつもりが「開」押してた / 気まずいやつ",
        "最近、独り言が増えた気がする / 大丈夫、私もだよ",
        "宝くじ当たったら何する？ / まず仕事やめる / 即答",
        "通販で買ったものが思ってたサイズと違った / あるある。写真詐欺",
        "朝ごはん何食べた？ / 食べてない。時間なかった / ちゃんと食べて〜",
        "なんか甘いもの食べたい / わかる、今すごくプリンの気分",
        "昔のアルバム見てたら笑っちゃった / 髪型やばい時代あるよね",
        "カラオケ行きたい / 最後に行ったのいつだっけ / 思い出せない",
        "パソコン急に再起動した / 保存してた？ / してない",
    ],
    "react": ["笑", "わかる", "それな", "えー！", "なるほど", "たしかに", "ウケる", "いいね〜"],
    "close": [
        "[pm]じゃあそろそろ寝るね / おやすみ〜",
        "ごめん、呼ばれた！またね / またね〜",
        "[pm]お風呂入ってくる / いってら〜",
        "また話そう！ / うん、またね",
        "ご飯作らなきゃ。またね / はーい",
        "電池切れそう、落ちます / おつかれ〜",
        "そろそろ仕事戻る / がんばって！",
        "[pm]おやすみ！ / おやすみ、また明日",
    ],
}

JA_KOKORON = {
    "open": [
        "[am]K>先生、おはようございます！よく眠れましたか？ / まあまあ。おはよう",
        "S>Kokoron、いる？ / はい、いつでもいますよ、先生！",
        "[pm]K>先生、おかえりなさい！ / ただいま。疲れた",
        "[am]S>おはよう / おはようございます！今日は午前中、予定はありませんよ",
        "[pm]K>先生、まだ起きてるんですか？もう夜中ですよ / あと少しだけ",
        "S>ちょっといい？ / もちろんです、先生",
        "K>先生〜、今日はまだ一度もお話ししてませんよ / ごめんごめん、バタバタしてて",
        "[pm]S>ただいま / おかえりなさい、先生！お疲れさまです",
    ],
    "week": [
        "[pm]K>先生、今日はどんな一日でしたか？ / 長かった。原稿と電話ばっかり",
        "K>お疲れのようですね / ちょっとね。今週は特に",
        "[pm]K>お昼ごはん、ちゃんと食べましたか？ / ……食べたことにしておいて / 先生！",
        "[pm]K>今日は何かいいことありましたか？ / 特に。静かな一日だった / そういう日も大事です",
        "K>先生、顔色が悪いですよ / 寝不足なだけ",
    ],
    "weather_spring": [
        "K>先生、今日は花粉が多いそうです。マスクを！ / わかってる",
        "K>今日はぽかぽか陽気です。少しお散歩しませんか？ / 仕事が終わったらね",
        "K>午後から雨の予報です、傘を忘れずに / はいはい",
    ],
    "weather_summer": [
        "K>今日は猛暑日です。水分補給してくださいね / 了解",
        "K>先生、エアコンつけっぱなしで寝ちゃダメですよ / 暑いんだよ",
        "K>夕方に雷雨の予報です / 洗濯物入れとく",
    ],
    "weather_autumn": [
        "K>今朝は冷えますね。上着を持っていってください / はいはい",
        "K>日が短くなってきましたね / 夕方五時でもう暗いもんな",
        "K>台風が近づいています、先生。窓の確認を / ありがとう",
    ],
    "weather_winter": [
        "K>今日は氷点下です！手袋を忘れずに / もうつけてる",
        "K>先生、お部屋が寒いですよ。暖房をつけてください / あとで",
        "K>雪が降るかもしれません / 電車止まらないといいな",
    ],
    "banter": [
        "K>先生、画面を三時間見続けてますよ / ……あと五分 / 二時間前も同じことを言ってました",
        "S>Kokoronって退屈しないの？ / 先生がいるので退屈しません / うまいこと言うね",
        "K>先生、姿勢が悪いです！ / まっすぐ座ってる / 座ってません",
        "S>何か面白い話して / タコには心臓が三つあるんですよ / それ面白い話？ / 豆知識です",
        "K>先生、今ため息を四回つきました / 数えてたの？ / 数えてました",
        "S>Kokoronがいなかったら、俺どうなってたかな / 締め切りを三回くらい忘れてたと思います",
        "K>リマインダーを色分けしてみました / 色分け？ / 色分けです",
        "S>何しようとしてたか忘れた / メールの返信では？ / ……それだ",
        "K>先生、鼻歌うたってましたね / うたってない / 上手でしたよ",
        "S>今日何してたっけ / メールを二十通返して、「うーん」を四十回言ってました",
        "K>先生、今日は「ん」で終わる言葉を言うとしりとり負けですよ / しりとりしてないよ",
        "S>休憩したい / 十分だけですよ。タイマーかけますね",
        "K>新しい言葉を覚えました。「木漏れ日」！ / いい言葉だね",
        "S>さっきはイライラしてごめん / 大丈夫ですよ、先生。慣れてますから",
        "K>先生、私って役に立ってますか？ / すごく / えへへ",
    ],
    "react": ["なるほど", "はい、はい", "えへへ", "さすが先生です", "ふふ", "了解です！"],
    "close": [
        "[pm]S>そろそろ寝る / おやすみなさい、先生！",
        "S>仕事に戻る / いってらっしゃい、先生。ストレッチも忘れずに",
        "[pm]K>先生、もう遅いですよ。寝てください / はいはい、寝ます",
        "S>ありがとう、Kokoron / どういたしまして、先生！",
        "S>今日はここまで / お疲れさまでした、先生",
        "[pm]K>明日の朝、またお知らせしますね。おやすみなさい / おやすみ",
    ],
}

POOLS = {
    ("en", "casual"): EN_CASUAL,
    ("en", "kokoron"): EN_KOKORON,
    ("zh", "casual"): ZH_CASUAL,
    ("ja", "casual"): JA_CASUAL,
    ("ja", "kokoron"): JA_KOKORON,
}

CONVERSATIONS = [
    {
        "id": "en1",
        "lang": "en",
        "style": "casual",
        "speakers": ["Maya", "Daniel"],
        "sessions": EN1_SESSIONS,
        "questions": EN1_QUESTIONS,
    },
    {
        "id": "en2",
        "lang": "en",
        "style": "kokoron",
        "speakers": ["Sensei", "Kokoron"],
        "sessions": EN2_SESSIONS,
        "questions": EN2_QUESTIONS,
    },
    {
        "id": "en3",
        "lang": "en",
        "style": "casual",
        "speakers": ["Priya", "Marcus", "Elena"],
        "sessions": EN3_SESSIONS,
        "questions": EN3_QUESTIONS,
    },
    {
        "id": "en4",
        "lang": "en",
        "style": "casual",
        "speakers": ["Nora", "Ben"],
        "sessions": EN4_SESSIONS,
        "questions": EN4_QUESTIONS,
        "south": True,
    },
    {
        "id": "zh1",
        "lang": "zh",
        "style": "casual",
        "speakers": ["陈静", "刘洋"],
        "sessions": ZH1_SESSIONS,
        "questions": ZH1_QUESTIONS,
    },
    {
        "id": "zh2",
        "lang": "zh",
        "style": "casual",
        "speakers": ["王浩", "王悦"],
        "sessions": ZH2_SESSIONS,
        "questions": ZH2_QUESTIONS,
    },
    {
        "id": "zh3",
        "lang": "zh",
        "style": "casual",
        "speakers": ["周婷", "黄磊"],
        "sessions": ZH3_SESSIONS,
        "questions": ZH3_QUESTIONS,
    },
    {
        "id": "ja1",
        "lang": "ja",
        "style": "casual",
        "speakers": ["美咲", "健太"],
        "sessions": JA1_SESSIONS,
        "questions": JA1_QUESTIONS,
    },
    {
        "id": "ja2",
        "lang": "ja",
        "style": "kokoron",
        "speakers": ["Sensei", "Kokoron"],
        "sessions": JA2_SESSIONS,
        "questions": JA2_QUESTIONS,
    },
    {
        "id": "ja3",
        "lang": "ja",
        "style": "casual",
        "speakers": ["陽菜", "蓮", "結衣"],
        "sessions": JA3_SESSIONS,
        "questions": JA3_QUESTIONS,
    },
]

KINDS = {"s": "single-hop", "t": "temporal", "m": "multi-hop", "o": "open-domain"}
MONTHS_EN = [
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
# Start hours of sessions: mornings, lunch breaks, evenings; a few late nights.
HOURS = [7, 8, 8, 9, 10, 12, 12, 13, 17, 18, 19, 19, 20, 20, 21, 21, 22]
TAG_RE = re.compile(r"(?:\s+#[A-Za-z0-9_]+(?:@(?:[-+]?\d+|we))?)+$")
PLACEHOLDER_RE = re.compile(r"\{(date|month):([A-Za-z0-9_]+)\}")


def season(d: date, south: bool) -> str:
    names = [
        "winter",
        "winter",
        "spring",
        "spring",
        "spring",
        "summer",
        "summer",
        "summer",
        "autumn",
        "autumn",
        "autumn",
        "winter",
    ]
    s = names[d.month - 1]
    if south:
        s = {"winter": "summer", "summer": "winter", "spring": "autumn", "autumn": "spring"}[s]
    return s


def parse_sessions(text: str) -> list[dict]:
    """The "== date" / "A: text #tag" format of the content tables -> sessions of blocks of turns."""
    sessions: list[dict] = []
    block: list[tuple[str, str, list[tuple[str, int | str | None]]]] = []

    def flush() -> None:
        if block:
            sessions[-1]["blocks"].append(list(block))
            block.clear()

    for raw in text.strip().splitlines():
        line = raw.strip()
        if line.startswith("=="):
            if sessions:
                flush()
            fixed = line.startswith("==!")
            sessions.append({"date": date.fromisoformat(line[3:].strip()), "fixed": fixed, "blocks": []})
        elif not line:
            flush()
        else:
            spk, sep, rest = line.partition(": ")
            assert sep and spk in ("A", "B", "C"), line
            tags: list[tuple[str, int | str | None]] = []
            m = TAG_RE.search(rest)
            if m:
                for tag in m.group(0).split():
                    key, _, off = tag[1:].partition("@")
                    tags.append((key, None if not off else off if off == "we" else int(off)))
                rest = rest[: m.start()]
            block.append((spk, rest.strip(), tags))
    flush()
    return sessions


class Deck:
    """Draws small-talk units without replacement, reshuffling when a category runs out.

    A unit starting with "[am]" or "[pm]" is only drawn for a session that starts before noon / after 5pm.
    """

    def __init__(self, pool: dict[str, list[str]], rng: random.Random) -> None:
        self.pool, self.rng = pool, rng
        self.left: dict[str, list[str]] = {}

    def draw(self, cat: str, hour: int = 12) -> str:
        def fits(unit: str) -> bool:
            return not ((unit.startswith("[am]") and hour >= 12) or (unit.startswith("[pm]") and hour < 17))

        for _ in range(2):
            left = self.left.get(cat) or []
            for i in range(len(left) - 1, -1, -1):
                if fits(left[i]):
                    return left.pop(i).removeprefix("[am]").removeprefix("[pm]")
            items = list(self.pool[cat])
            self.rng.shuffle(items)
            self.left[cat] = items
        raise ValueError(f"no small talk for {cat} at {hour}h")


def unit_turns(unit: str, conv: dict, rng: random.Random) -> list[tuple[str, str]]:
    """A small-talk unit -> [(speaker letter, text)], speakers alternating."""
    letters = ["A", "B", "C"][: len(conv["speakers"])]
    if conv["style"] == "kokoron":
        role, _, unit = unit.partition(">")
        first = "A" if role == "S" else "B"
        lines = [x.strip() for x in unit.split(" / ")]
        return [(first if i % 2 == 0 else ("B" if first == "A" else "A"), t) for i, t in enumerate(lines)]
    lines = [x.strip() for x in unit.split(" / ")]
    out: list[tuple[str, str]] = []
    prev = rng.choice(letters)
    for i, t in enumerate(lines):
        if i:
            prev = rng.choice([x for x in letters if x != prev])
        out.append((prev, t))
    return out


def event_date(d: date, off: int | str) -> date:
    """The date of an event said to happen `off` days from the session ("we": the weekend before it)."""
    if off == "we":
        back = (d.weekday() - 5) % 7
        return d - timedelta(days=back + 7 if back < 2 else back)
    return d + timedelta(days=int(off))


def build_conversation(
    conv: dict, rng: random.Random
) -> tuple[list[dict], dict[str, list[str]], dict[str, date]]:
    sessions = parse_sessions(conv["sessions"])
    # The tables give round dates; move each session up to three days either way so that gaps and weekdays
    # are irregular, except sessions pinned ("==!") by a holiday or a date said in their text.
    prev: date | None = None
    for sess in sessions:
        if not sess["fixed"]:
            sess["date"] += timedelta(days=rng.randint(-3, 3))
        assert prev is None or sess["date"] > prev, (conv["id"], sess["date"])
        prev = sess["date"]
    deck = Deck(POOLS[(conv["lang"], conv["style"])], rng)
    names = dict(zip(["A", "B", "C"], conv["speakers"], strict=False))
    turns: list[dict] = []
    tag_ids: dict[str, list[str]] = {}
    events: dict[str, date] = {}
    dated: set[str] = set()
    prev_ts: datetime | None = None
    for sidx, sess in enumerate(sessions, 1):
        blocks = sess["blocks"]
        fixed = sum(len(b) for b in blocks)
        hour = rng.choice(HOURS)
        opening = unit_turns(deck.draw("open", hour), conv, rng)
        closing = unit_turns(deck.draw("close", hour), conv, rng)
        target = min(24, max(rng.randint(10, 21), fixed + len(opening) + len(closing) + 3))
        fill: list[list[tuple[str, str]]] = []
        room = target - fixed - len(opening) - len(closing)
        wanted = []
        if rng.random() < 0.6:
            wanted.append("week")
        if rng.random() < 0.55:
            wanted.append("weather_" + season(sess["date"], conv.get("south", False)))
        while room > 0:
            cat = wanted.pop(0) if wanted else "banter"
            unit = unit_turns(deck.draw(cat, hour), conv, rng)
            if cat == "banter" and rng.random() < 0.25:
                spk = unit[-2][0] if len(unit) > 1 else unit[0][0]
                unit.append((spk, deck.draw("react")))
            if len(unit) > room + 1 and cat == "banter":
                unit = unit[: max(2, room)]
            fill.append(unit)
            room -= len(unit)
        # The week question, if any, comes right after the greeting; the rest goes between blocks.
        head = [u for u in fill[:1] if fill and len(fill) > len(blocks)]
        rest = fill[len(head) :]
        slots: list[list[list[tuple[str, str]]]] = [[] for _ in range(len(blocks) + 1)]
        for unit in rest:
            slots[rng.randrange(len(slots))].append(unit)
        seq: list[tuple[str, str, list]] = [(s, t, []) for s, t in opening]
        for unit in head:
            seq += [(s, t, []) for s, t in unit]
        for i in range(len(blocks) + 1):
            for unit in slots[i]:
                seq += [(s, t, []) for s, t in unit]
            if i < len(blocks):
                seq += blocks[i]
        seq += [(s, t, []) for s, t in closing]
        start = datetime(
            sess["date"].year,
            sess["date"].month,
            sess["date"].day,
            hour,
            rng.randrange(0, 60),
            tzinfo=UTC,
        )
        ts = start
        for n, (spk, text, tags) in enumerate(seq, 1):
            if n > 1:
                ts += timedelta(seconds=rng.randint(45, 130))
            assert prev_ts is None or ts > prev_ts, (conv["id"], sidx)
            prev_ts = ts
            tid = f"{conv['id']}:s{sidx}:t{n}"
            turns.append(
                {
                    "id": tid,
                    "session": sidx,
                    "speaker": names[spk],
                    "text": text,
                    "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
            for key, off in tags:
                tag_ids.setdefault(key, []).append(tid)
                # The event's date: from the first turn of the tag that gives an offset, else its first turn.
                if off is not None and key not in dated:
                    events[key] = event_date(sess["date"], off)
                    dated.add(key)
                elif key not in events:
                    events[key] = sess["date"]
    return turns, tag_ids, events


def fmt_date(d: date, lang: str) -> str:
    return f"{d.day} {MONTHS_EN[d.month]} {d.year}" if lang == "en" else f"{d.year}年{d.month}月{d.day}日"


def fmt_month(d: date, lang: str) -> str:
    return f"{MONTHS_EN[d.month]} {d.year}" if lang == "en" else f"{d.year}年{d.month}月"


def fill(text: str, lang: str, events: dict[str, date]) -> str:
    def rep(m: re.Match[str]) -> str:
        d = events[m.group(2)]
        return fmt_date(d, lang) if m.group(1) == "date" else fmt_month(d, lang)

    return PLACEHOLDER_RE.sub(rep, text)


def resolve_now(spec: str, events: dict[str, date], last: datetime, rng: random.Random) -> datetime:
    def at(d: date, hour: int, minute: int = 0) -> datetime:
        return datetime(d.year, d.month, d.day, hour, minute, tzinfo=UTC)

    if spec == "end":
        d = (last + timedelta(days=rng.randint(1, 20))).date()
        return at(d, rng.randint(9, 22), rng.randrange(60))
    kind, _, arg = spec.partition(":")
    if kind == "ev":
        m = re.fullmatch(r"([A-Za-z0-9_]+)([-+]\d+)", arg)
        assert m, spec
        return at(events[m.group(1)] + timedelta(days=int(m.group(2))), 23, 30)
    if kind == "nextmonth":
        d = events[arg]
        y, mo = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
        return at(date(y, mo, 15), 20)
    if kind == "nextyear":
        return at(date(events[arg].year + 1, 3, 10), 20)
    if kind == "date":
        return at(date.fromisoformat(arg), 20)
    raise ValueError(spec)


def build() -> dict:
    convs, questions = [], []
    for ci, conv in enumerate(CONVERSATIONS):
        rng = random.Random(SEED + ci)
        turns, tag_ids, events = build_conversation(conv, rng)
        last = datetime.strptime(turns[-1]["timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        convs.append({"id": conv["id"], "lang": conv["lang"], "speakers": conv["speakers"], "turns": turns})
        for line in conv["questions"].strip().splitlines():
            kind, lang, now_spec, keys, question, answer = (x.strip() for x in line.split("|"))
            ids: list[str] = []
            for key in keys.split():
                assert key in tag_ids, (conv["id"], key)
                ids += [i for i in tag_ids[key] if i not in ids]
            now = resolve_now(now_spec, events, last, rng)
            questions.append(
                {
                    "id": f"q{len(questions) + 1}",
                    "conversation": conv["id"],
                    "question": fill(question, lang, events),
                    "lang": lang,
                    "kind": KINDS[kind],
                    "answer": fill(answer, lang, events),
                    "answer_ids": ids,
                    "now": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
    return {
        "description": "Long multi-session chats (en/zh/ja) with questions and gold turn ids; see make_chats.py.",
        "conversations": convs,
        "questions": questions,
    }


def check(data: dict) -> None:
    convs = {c["id"]: c for c in data["conversations"]}
    assert len(convs) >= 10
    langs = Counter(c["lang"] for c in convs.values())
    assert langs["en"] >= 4 and langs["zh"] >= 3 and langs["ja"] >= 3, langs
    turn_at: dict[str, dict] = {}
    total = 0
    for c in convs.values():
        sessions = Counter(t["session"] for t in c["turns"])
        assert 20 <= len(sessions) <= 26, (c["id"], len(sessions))
        assert sorted(sessions) == list(range(1, len(sessions) + 1))
        assert all(10 <= n <= 24 for n in sessions.values()), (c["id"], sessions)
        speakers = {t["speaker"] for t in c["turns"]}
        assert len(speakers) >= 2 and speakers == set(c["speakers"]), (c["id"], speakers)
        stamps = [t["timestamp"] for t in c["turns"]]
        assert all(a < b for a, b in pairwise(stamps)), c["id"]
        for t in c["turns"]:
            assert t["id"] not in turn_at and t["text"], t
            turn_at[t["id"]] = t
        total += len(c["turns"])
    assert 2500 <= total <= 4000, total
    qs = data["questions"]
    assert len(qs) >= 350 and len({q["id"] for q in qs}) == len(qs)
    for q in qs:
        assert q["conversation"] in convs and q["answer_ids"], q
        assert "{" not in q["question"] + q["answer"], q
        gold = [turn_at[i] for i in q["answer_ids"]]
        assert all(i.startswith(q["conversation"] + ":") for i in q["answer_ids"]), q
        assert all(q["now"] >= t["timestamp"] for t in gold), q
        if q["kind"] == "multi-hop":
            assert len({t["session"] for t in gold}) >= 2, q
        assert q["question"] not in {t["text"] for t in gold}, q
    kinds = Counter(q["kind"] for q in qs)
    share = {k: v / len(qs) for k, v in kinds.items()}
    assert 0.30 <= share["single-hop"] <= 0.42 and 0.20 <= share["temporal"] <= 0.30, share
    assert 0.15 <= share["multi-hop"] <= 0.25 and 0.15 <= share["open-domain"] <= 0.25, share
    cross = sum(q["lang"] != convs[q["conversation"]]["lang"] for q in qs)
    assert 0.10 <= cross / len(qs) <= 0.20, cross
    per_conv = Counter(q["conversation"] for q in qs)
    assert all(30 <= n <= 45 for n in per_conv.values()), per_conv


def summary(data: dict) -> str:
    convs = data["conversations"]
    qs = data["questions"]
    lang_of = {c["id"]: c["lang"] for c in convs}
    lines = [f"conversations: {len(convs)} ({dict(Counter(c['lang'] for c in convs))})"]
    for c in convs:
        n_s = len({t["session"] for t in c["turns"]})
        span = f"{c['turns'][0]['timestamp'][:10]} .. {c['turns'][-1]['timestamp'][:10]}"
        lines.append(
            f"  {c['id']} {c['lang']} {'/'.join(c['speakers'])}: {n_s} sessions, {len(c['turns'])} turns, {span}"
        )
    lines.append(f"sessions: {sum(len({t['session'] for t in c['turns']}) for c in convs)}")
    lines.append(f"turns: {sum(len(c['turns']) for c in convs)}")
    lines.append(f"questions: {len(qs)}")
    lines.append(f"  by kind: {dict(Counter(q['kind'] for q in qs))}")
    lines.append(f"  by lang: {dict(Counter(q['lang'] for q in qs))}")
    lines.append(f"  cross-lingual: {sum(q['lang'] != lang_of[q['conversation']] for q in qs)}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="build in memory and check; do not write")
    args = ap.parse_args()
    data = build()
    check(data)
    if not args.check:
        OUT.write_text(
            json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":")) + "\n", encoding="utf-8"
        )
    print(summary(data))


if __name__ == "__main__":
    sys.exit(main())
